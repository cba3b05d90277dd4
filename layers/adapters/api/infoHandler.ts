import type { Logger } from '@aws-lambda-powertools/logger';
import { expertKinds, type ModelManifest } from '#core/manifest.ts';
import type { ApiLimits } from '../config.ts';
import { errorResponse, HttpError, header, jsonResponse, requestIdOf } from '../http.ts';
import { prefersHtml } from './contentNegotiation.ts';
import { openApiDocument } from './openapi.ts';
import type { ApiHandler } from './predictHandler.ts';
import type { WebSite } from './webSite.ts';

export interface InfoDeps {
  /** The model's identity only: the info routes never load the weights. */
  getManifest: () => Promise<ModelManifest>;
  limits: ApiLimits;
  logger: Logger;
  /** The page, the docs and their assets (built once per container). */
  getWebSite: () => Promise<WebSite>;
  /** The model folder's training-fingerprints.bin (the page's in-sample check); undefined when it has none. */
  getTrainingFingerprints?: () => Promise<Uint8Array | undefined>;
}

/** Every route of the API and its method: what is not here is 404, a known path with another method is 405. */
export const ROUTES: Readonly<Record<string, string>> = {
  '/': 'GET',
  '/health': 'GET',
  '/openapi.json': 'GET',
  '/docs': 'GET',
  '/training-fingerprints': 'GET',
  '/predict': 'POST',
};
/** Files under this prefix are the page's and the docs' assets (GET only). */
export const ASSETS_PREFIX = '/assets/';

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
  getTrainingFingerprints,
}: InfoDeps): ApiHandler {
  let document: unknown;
  return async (event, context) => {
    const requestId = requestIdOf(event, context?.awsRequestId ?? 'local');
    const method = event.requestContext?.http?.method ?? 'GET';
    const path = event.rawPath || event.requestContext?.http?.path || '/';
    logger.appendKeys({ requestId, route: `${method} ${path}` });
    try {
      const allowed = path.startsWith(ASSETS_PREFIX) ? 'GET' : ROUTES[path];
      if (allowed === undefined)
        throw new HttpError(
          404,
          'not_found',
          `no route ${path}; routes: ${Object.entries(ROUTES)
            .map(([p, m]) => `${m} ${p}`)
            .join(', ')}`,
        );
      if (method !== allowed && !(method === 'HEAD' && allowed === 'GET')) {
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}; use ${allowed}`, [], {
          allow: allowed,
        });
      }
      if (path === '/predict') throw new HttpError(404, 'not_found', '/predict is served by the predict function');
      if (path.startsWith(ASSETS_PREFIX)) return (await getWebSite()).asset(path, event);
      if (path === '/docs') return (await getWebSite()).docs(event);
      if (path === '/' && prefersHtml(header(event, 'accept'))) return (await getWebSite()).page(event);
      if (path === '/training-fingerprints') {
        const bytes = await getTrainingFingerprints?.();
        if (!bytes) throw new HttpError(404, 'not_found', "this model's folder has no training-fingerprints.bin");
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/octet-stream', 'cache-control': 'public, max-age=300' },
          body: Buffer.from(bytes).toString('base64'),
          isBase64Encoded: true,
        };
      }
      const manifest = await getManifest();
      if (path === '/health') {
        const kinds = expertKinds(manifest);
        const data = manifest.provenance?.data as { sha256?: unknown; rows?: unknown } | undefined;
        return jsonResponse(200, {
          status: 'ok',
          model: {
            name: manifest.name,
            version: manifest.version,
            backend: manifest.backend,
            labels: manifest.labels,
            thresholds: manifest.thresholds,
            ...(kinds ? { kinds } : {}),
            ...(typeof data?.sha256 === 'string'
              ? {
                  training_data: { sha256: data.sha256, ...(typeof data.rows === 'number' ? { rows: data.rows } : {}) },
                }
              : {}),
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
        document ??= openApiDocument(limits, manifest.version);
        return jsonResponse(200, document, { 'cache-control': 'public, max-age=300' });
      }
      // Byte for byte the welcome the prototype's clients know; Vary because `/` also answers browsers with HTML.
      return jsonResponse(
        200,
        {
          message: `Clinical abstract classifier: tags abstracts as cardiovascular, hepatorenal, neurological and/or oncological (model ${manifest.name} ${manifest.version}).`,
          endpoints: {
            'POST /predict': '{"texts": ["..."]} or {"items": [{"title": "...", "abstract": "..."}]}',
            'GET /health': 'status and model',
            'GET /openapi.json': 'OpenAPI 3.1 document',
          },
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
