import { z } from 'zod';
import type { ObjectStore } from '../s3/objectStore.ts';
import {
  type AggregateEvent,
  type ChunkEvent,
  chunkBatchInput,
  type FanoutInput,
  type RangeItem,
  rangeItemSchema,
} from './fanoutContracts.ts';

/**
 * Drives the fan-out the way the state machine does, on one machine: reads the range list, forms batches of
 * `maxItemsPerBatch` items with the same BatchInput the ItemBatcher sends, runs the chunk handler on them with
 * bounded concurrency, then the aggregate handler. Used by `npm start` and by the tests that prove the fan-out
 * and inline paths give identical results.
 */
export interface LocalFanoutOptions {
  store: ObjectStore;
  chunk: (event: ChunkEvent) => Promise<unknown>;
  aggregate: (event: AggregateEvent) => Promise<unknown>;
  maxItemsPerBatch?: number;
  concurrency?: number;
}

export async function runLocalFanout(input: FanoutInput, options: LocalFanoutOptions): Promise<void> {
  const { store, maxItemsPerBatch = 4, concurrency = 4 } = options;
  const items: RangeItem[] = z
    .array(rangeItemSchema)
    .parse(JSON.parse(await store.readText(input.bucket, input.rangesKey)));
  const batches: ChunkEvent[] = [];
  for (let i = 0; i < items.length; i += maxItemsPerBatch) {
    batches.push({
      Items: items.slice(i, i + maxItemsPerBatch),
      BatchInput: chunkBatchInput(input),
    });
  }
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) await options.chunk(batches[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  const { bucket, key, rangesKey, partsPrefix, resultPrefix, columns, blankLines } = input;
  await options.aggregate({
    bucket,
    key,
    rangesKey,
    partsPrefix,
    resultPrefix,
    columns,
    ...(blankLines === undefined ? {} : { blankLines }),
  });
}
