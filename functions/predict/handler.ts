/** Lambda entry point for `POST /predict`: the composition root of the predict function. */

import { createPredictHandler } from '#adapters/api/predictHandler.ts';
import { loadConfig } from '#adapters/config.ts';
import { createLogger, withLambdaContext } from '#adapters/logger.ts';
import { memoizedClassifier } from '#adapters/modelProvider.ts';

const config = loadConfig();
const logger = createLogger(config);
const getClassifier = memoizedClassifier(config.modelDir);
// Start loading during the init phase; a failure here is retried by the first invocation.
getClassifier().catch((error: unknown) => logger.error('model load failed at init', { error: error as Error }));

export const handler = withLambdaContext(
  logger,
  createPredictHandler({ getClassifier, limits: config.limits, logger }),
);
