import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { type Classifier, labelNames, shortNames, toShortProba } from '#core/classifier.ts';
import { DEFAULT_TOP_TERMS, explanationByLabel } from '#core/explanation.ts';
import { recordText } from '#core/text.ts';
import type { ApiLimits } from '../config.ts';
import {
  errorResponse,
  HttpError,
  type HttpResult,
  jsonResponse,
  readJsonBody,
  requestIdOf,
  validationError,
} from '../http.ts';
import { predictRequestSchema } from './schemas.ts';

export interface PredictDeps {
  getClassifier: () => Promise<Classifier>;
  limits: ApiLimits;
  logger: Logger;
}

export type ApiHandler = (event: APIGatewayProxyEventV2, context?: Partial<Context>) => Promise<HttpResult>;

/** `POST /predict`: validate once, classify, shape the original project's response (plus full label names). */
export function createPredictHandler({ getClassifier, limits, logger }: PredictDeps): ApiHandler {
  const schema = predictRequestSchema(limits);
  return async (event, context) => {
    const started = performance.now();
    const requestId = requestIdOf(event, context?.awsRequestId ?? 'local');
    logger.appendKeys({ requestId, route: 'POST /predict' });
    try {
      const method = event.requestContext?.http?.method ?? 'POST';
      if (method !== 'POST')
        throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on /predict; use POST`, [], {
          allow: 'POST',
        });
      const parsed = schema.safeParse(readJsonBody(event, limits.maxBodyBytes));
      if (!parsed.success) throw validationError(parsed.error);
      const texts = parsed.data.texts ?? parsed.data.items!.map((i) => recordText(i.title, i.abstract));
      const classifier = await getClassifier();
      const { explain, explain_top: top = DEFAULT_TOP_TERMS } = parsed.data;
      if (explain && !classifier.canExplain) {
        const { name, backend } = classifier.manifest;
        throw new HttpError(
          400,
          'explanation_unsupported',
          `the model ${name} runs on the ${backend} backend, which does not explain its predictions; send the request without "explain"`,
        );
      }
      const predictions = await classifier.classify(texts, { explain: explain === true });
      const body = predictions.map((p, i) => ({
        input: texts[i]!,
        proba: toShortProba(p.proba),
        labels_short: shortNames(p.labels),
        labels: labelNames(p.labels),
        kind: p.kind,
        ...(p.explanation ? { explanation: explanationByLabel(p.explanation, top) } : {}),
      }));
      logger.info('predicted', {
        texts: texts.length,
        explain: explain === true,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
      });
      return jsonResponse(200, body, {
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
