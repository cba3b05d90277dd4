/**
 * Lambda entry point for `GET /` (JSON welcome, or the web page for browsers), `/health`, `/openapi.json`,
 * `/docs`, `/assets/*` and the API's `$default` route (404/405).
 */
import { fileURLToPath } from 'node:url';
import { createInfoHandler } from '#adapters/api/infoHandler.ts';
import { loadWebFiles, memoizedWebSite } from '#adapters/api/webSite.ts';
import { loadConfig } from '#adapters/config.ts';
import { createLogger, withLambdaContext } from '#adapters/logger.ts';
import { memoizedManifest, memoizedTrainingFingerprints } from '#adapters/modelProvider.ts';

const config = loadConfig();
const logger = createLogger(config);
// In the image, scripts/prepare-image.ts writes the built page beside this bundle: /var/task/web/.
const webDir = config.webDir ?? fileURLToPath(new URL('./web/', import.meta.url));

export const handler = withLambdaContext(
  logger,
  createInfoHandler({
    getManifest: memoizedManifest(config.modelDir),
    limits: config.limits,
    logger,
    auth: config.auth,
    getWebSite: memoizedWebSite(() => loadWebFiles(webDir), { auth: config.auth }),
    getTrainingFingerprints: memoizedTrainingFingerprints(config.modelDir),
  }),
);
