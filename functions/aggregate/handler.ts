/**
 * Lambda entry point for the fan-out's last step: assembles predictions.csv, metrics.json and the reports. The
 * state machine's Catch calls it too, with the execution input and `failure`: it then writes error.json instead.
 */

import { loadConfig } from '#adapters/config.ts';
import { aggregate } from '#adapters/evaluation/fanoutAggregate.ts';
import { aggregateEventSchema } from '#adapters/evaluation/fanoutContracts.ts';
import { fanoutFailureSchema, recordFanoutFailure } from '#adapters/evaluation/fanoutFailure.ts';
import { createLogger, withLambdaContext } from '#adapters/logger.ts';
import { memoizedManifest } from '#adapters/modelProvider.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';

const config = loadConfig();
const logger = createLogger(config);
const store = new ObjectStore(createS3Client(config));
const getManifest = memoizedManifest(config.modelDir);

export const handler = withLambdaContext(logger, async (event: unknown): Promise<unknown> => {
  if (typeof event === 'object' && event !== null && 'failure' in event) {
    const failed = fanoutFailureSchema.parse(event);
    const outcome = await recordFanoutFailure(failed, store);
    logger.error('fan-out failed', { key: failed.key, outcome, ...failed.failure });
    return { outcome };
  }
  const input = aggregateEventSchema.parse(event);
  const started = performance.now();
  const result = await aggregate(input, store, await getManifest());
  logger.info('aggregated', { key: input.key, ...result, durationMs: Math.round(performance.now() - started) });
  return result;
});
