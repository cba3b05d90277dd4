/** Lambda entry point for `GET /`, `GET /health`, `GET /openapi.json` and the API's `$default` route (404/405). */
import { loadConfig } from '#adapters/config.ts';
import { createLogger, withLambdaContext } from '#adapters/logger.ts';
import { memoizedManifest } from '#adapters/modelProvider.ts';
import { createInfoHandler } from '#adapters/api/infoHandler.ts';

const config = loadConfig();
const logger = createLogger(config);

export const handler = withLambdaContext(logger, createInfoHandler({ getManifest: memoizedManifest(config.modelDir), limits: config.limits, logger }));
