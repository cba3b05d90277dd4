/** Lambda entry point for the fan-out's last step: assembles predictions.csv, metrics.json and the reports. */

import { loadConfig } from '#adapters/config.ts';
import { aggregate } from '#adapters/evaluation/fanoutAggregate.ts';
import { aggregateEventSchema } from '#adapters/evaluation/fanoutContracts.ts';
import { createLogger, withLambdaContext } from '#adapters/logger.ts';
import { memoizedManifest } from '#adapters/modelProvider.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';

const config = loadConfig();
const logger = createLogger(config);
const store = new ObjectStore(createS3Client(config));
const getManifest = memoizedManifest(config.modelDir);

export const handler = withLambdaContext(
  logger,
  async (event: unknown): Promise<{ rows: number; rejected: boolean }> => {
    const input = aggregateEventSchema.parse(event);
    const started = performance.now();
    const result = await aggregate(input, store, await getManifest());
    logger.info('aggregated', { key: input.key, ...result, durationMs: Math.round(performance.now() - started) });
    return result;
  },
);
