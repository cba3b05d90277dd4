/** Lambda entry point for one Distributed Map batch: predicts byte ranges of a large CSV into parts. */

import { loadConfig } from '#adapters/config.ts';
import { processChunk } from '#adapters/evaluation/fanoutChunk.ts';
import { chunkEventSchema } from '#adapters/evaluation/fanoutContracts.ts';
import { createLogger, withLambdaContext } from '#adapters/logger.ts';
import { memoizedClassifier } from '#adapters/modelProvider.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';

const config = loadConfig();
const logger = createLogger(config);
const store = new ObjectStore(createS3Client(config));
const getClassifier = memoizedClassifier(config.modelDir);

export const handler = withLambdaContext(
  logger,
  async (event: unknown): Promise<{ items: number; rows: number; problems: number }> => {
    const batch = chunkEventSchema.parse(event);
    const started = performance.now();
    const result = await processChunk(batch, store, await getClassifier(), {
      evidence: config.evidence,
      formulas: config.formulas,
      logger,
    });
    logger.info('chunk done', {
      key: batch.BatchInput.key,
      ...result,
      durationMs: Math.round(performance.now() - started),
    });
    return result;
  },
);
