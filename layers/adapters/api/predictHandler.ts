import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type Classifier, labelNames, shortNames, toShortProba } from '#core/classifier.ts';
import { DEFAULT_TOP_TERMS, explanationByLabel } from '#core/explanation.ts';
import { onceUntilFailure } from '#core/once.ts';
import { recordText } from '#core/text.ts';
import { normalizeText } from '#model/ngrams.ts';
import type { ApiLimits } from '../config.ts';
import {
  errorResponse,
  HttpError,
  type HttpResult,
  jsonTextResponse,
  readJsonBody,
  requestIdOf,
  validationError,
} from '../http.ts';
import type { PredictRequest } from './predictRequest.ts';
import { acceptPredictRequest } from './predictRequestFast.ts';
import { bodyPayloadBytes, MAX_RESPONSE_BYTES, MAX_SPANS_PER_TERM, responseBound } from './responseBudget.ts';

/** An answer that would not fit `MAX_RESPONSE_BYTES`: refused with what to change, never sent as a Lambda error. */
function responseTooLarge(bytes: number, explain: boolean): HttpError {
  return new HttpError(
    413,
    'response_too_large',
    `the answer to this request could weigh ${bytes} bytes, more than the ${MAX_RESPONSE_BYTES} an answer may (Lambda's response limit is 6 MB); send fewer texts per request${explain ? ' or a lower explain_top' : ''}`,
  );
}

export interface PredictDeps {
  getClassifier: () => Promise<Classifier>;
  limits: ApiLimits;
  logger: Logger;
}

export type ApiHandler = (event: APIGatewayProxyEventV2, context?: Partial<Context>) => Promise<HttpResult>;

/** `POST /predict`: validate once, classify, shape the original project's response (plus full label names). */
export function createPredictHandler({ getClassifier, limits, logger }: PredictDeps): ApiHandler {
  // The zod schema, loaded and built for the first request the fast path does not take (predictRequestFast.ts).
  const schema = onceUntilFailure(async () => (await import('./predictRequest.ts')).predictRequestSchema(limits));
  const validate = async (body: unknown): Promise<PredictRequest> => {
    const request = acceptPredictRequest(body, limits);
    if (request) return request;
    const parsed = (await schema()).safeParse(body);
    if (!parsed.success) throw validationError(parsed.error);
    return parsed.data;
  };
  return async (event, context) => {
    // Not performance.now(): the first touch of `performance` loads perf_hooks, ≈ 1.5 ms of every cold start.
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(event, context?.awsRequestId ?? 'local');
    logger.appendKeys({ requestId, route: 'POST /predict' });
    try {
      const method = event.requestContext?.http?.method ?? 'POST';
      if (method !== 'POST')
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on /predict; use POST`, [], {
          allow: 'POST',
        });
      const request = await validate(readJsonBody(event, limits.maxBodyBytes));
      const texts = request.texts ?? request.items!.map((i) => recordText(i.title, i.abstract));
      const classifier = await getClassifier();
      const { explain, explain_top: top = DEFAULT_TOP_TERMS } = request;
      if (explain && !classifier.canExplain) {
        const { name, backend } = classifier.manifest;
        throw new HttpError(
          400,
          'explanation_unsupported',
          `the model ${name} runs on the ${backend} backend, which does not explain its predictions; send the request without "explain"`,
        );
      }
      // Refused before any model work when the answer could exceed its bound (responseBudget.ts).
      const shape = explain ? { top, maxSpans: MAX_SPANS_PER_TERM } : undefined;
      const bound = responseBound(texts, shape, normalizeText);
      if (bound > MAX_RESPONSE_BYTES) throw responseTooLarge(bound, explain === true);
      const predictions = await classifier.classify(texts, { explain: explain === true });
      const body = JSON.stringify(
        predictions.map((p, i) => ({
          input: texts[i]!,
          proba: toShortProba(p.proba),
          labels_short: shortNames(p.labels),
          labels: labelNames(p.labels),
          kind: p.kind,
          confidence: p.confidence,
          ...(p.explanation
            ? { explanation: explanationByLabel(p.explanation, top, { maxSpans: MAX_SPANS_PER_TERM }) }
            : {}),
        })),
      );
      // The bound above holds by construction; this check keeps the promise even if an explanation broke it.
      const weight = bodyPayloadBytes(body);
      if (weight > MAX_RESPONSE_BYTES) {
        logger.error('answer over its computed bound; refused', { bound, weight });
        throw responseTooLarge(weight, explain === true);
      }
      logger.info('predicted', {
        texts: texts.length,
        explain: explain === true,
        responseBytes: weight,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
      });
      return jsonTextResponse(200, body, {
        'x-model-name': classifier.manifest.name,
        'x-model-version': classifier.manifest.version,
        'x-request-id': requestId,
      });
    } catch (error) {
      return errorResponse(error, requestId, logger);
    } finally {
      logger.removeKeys(['requestId', 'route']);
    }
  };
}
