import type { Logger } from '@aws-lambda-powertools/logger';
import { expertKinds, type ModelManifest } from '#core/manifest.ts';
import { trainingSha256 } from '#core/trainingData.ts';
import type { ApiLimits } from '../config.ts';
import { errorResponse, HttpError, header, jsonResponse, requestIdOf } from '../http.ts';
import { prefersHtml } from './contentNegotiation.ts';
import type { ApiHandler } from './predictHandler.ts';
import { API_ROUTES, type ApiAuth, ASSETS_ROUTE, routeFor, routeKeysOf, welcomeEndpoints } from './routes.ts';
import type { WebSite } from './webSite.ts';

export interface InfoDeps {
  /** The model's identity only: the info routes never load the weights. */
  getManifest: () => Promise<ModelManifest>;
  limits: ApiLimits;
  logger: Logger;
  /** The page, the docs and their assets (built once per container). */
  getWebSite: () => Promise<WebSite>;
  /** How /predict is protected: the OpenAPI document declares the bearer scheme under `jwt`. */
  auth: ApiAuth;
  /** The model folder's training-fingerprints.bin (the page's in-sample check); undefined when it has none. */
  getTrainingFingerprints?: () => Promise<Uint8Array | undefined>;
}

/** The fingerprints file as API Gateway wants binary bodies, encoded once per file read rather than per request. */
const encoded = new WeakMap<Uint8Array, string>();
function base64Of(bytes: Uint8Array): string {
  let text = encoded.get(bytes);
  if (text === undefined) {
    text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    encoded.set(bytes, text);
  }
  return text;
}

/**
 * `GET /` (the JSON welcome, or the web page for a browser), `GET /health`, `GET /openapi.json`, `GET /docs`,
 * `GET /assets/*`, and the API's `$default` route: unknown paths answer 404 and wrong methods 405 with the same
 * JSON error body as every other error.
 */
export function createInfoHandler({
  getManifest,
  limits,
  logger,
  getWebSite,
  auth,
  getTrainingFingerprints,
}: InfoDeps): ApiHandler {
  let document: unknown;
  return async (event, context) => {
    const requestId = requestIdOf(event, context?.awsRequestId ?? 'local');
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath || event.requestContext?.http?.path || '/';
    logger.appendKeys({ requestId, route: `${method} ${path}` });
    try {
      const route = routeFor(path);
      if (route === undefined)
        throw new HttpError(
          404,
          'not_found',
          `no route ${path}; routes: ${API_ROUTES.flatMap(routeKeysOf).join(', ')}`,
        );
      const allowed = route.methods.join(', ');
      if (
        !(route.methods as readonly string[]).includes(method) &&
        !(method === 'HEAD' && route.methods.includes('GET'))
      ) {
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${allowed}`, [], {
          allow: allowed,
        });
      }
      if (route.function !== 'health')
        throw new HttpError(404, 'not_found', `${path} is served by the ${route.function} function`);
      if (route.path === ASSETS_ROUTE) return (await getWebSite()).asset(path, event);
      if (path === '/docs') return (await getWebSite()).docs(event);
      if (path === '/' && prefersHtml(header(event, 'accept'))) return (await getWebSite()).page(event);
      if (path === '/training-fingerprints') {
        const bytes = await getTrainingFingerprints?.();
        if (!bytes) throw new HttpError(404, 'not_found', "this model's folder has no training-fingerprints.bin");
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=300' },
          body: base64Of(bytes),
          isBase64Encoded: true,
        };
      }
      const manifest = await getManifest();
      if (path === '/health') {
        const kinds = expertKinds(manifest);
        const sha256 = trainingSha256(manifest);
        const rows = (manifest.provenance?.data as { rows?: unknown } | undefined)?.rows;
        return jsonResponse(200, {
          status: 'ok',
          model: {
            name: manifest.name,
            version: manifest.version,
            backend: manifest.backend,
            labels: manifest.labels,
            thresholds: manifest.thresholds,
            ...(kinds ? { kinds } : {}),
            ...(sha256 ? { training_data: { sha256, ...(typeof rows === 'number' ? { rows } : {}) } } : {}),
          },
          // What /predict accepts here (the same config the predict function reads): the page sizes its batches by it.
          limits: {
            max_texts: limits.maxTexts,
            max_text_chars: limits.maxTextChars,
            max_body_bytes: limits.maxBodyBytes,
          },
        });
      }
      if (path === '/openapi.json') {
        // Built at the first request for it: the document comes from the schemas through full zod, which GET /health
        // and the page need not load (half the health function's cold start).
        document ??= (await import('./openapi.ts')).openApiDocument(limits, manifest.version, auth);
        return jsonResponse(200, document, { 'cache-control': 'public, max-age=300' });
      }
      // Byte for byte the welcome the prototype's clients know; Vary because `/` also answers browsers with HTML.
      return jsonResponse(
        200,
        {
          message: `Clinical abstract classifier: tags abstracts as cardiovascular, hepatorenal, neurological and/or oncological (model ${manifest.name} ${manifest.version}).`,
          endpoints: welcomeEndpoints(),
        },
        { vary: 'Accept' },
      );
    } catch (error) {
      return errorResponse(error, requestId, logger);
    } finally {
      logger.removeKeys(['requestId', 'route']);
    }
  };
}
