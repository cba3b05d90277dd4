import { z } from 'zod';
import type { ObjectStore } from '../s3/objectStore.ts';
import {
  type AggregateEvent,
  aggregateEventSchema,
  type ChunkBatch,
  chunkBatchOf,
  type FanoutInput,
  runItemSchema,
} from './fanoutContracts.ts';
import { causeMessage, type FanoutFailureEvent } from './fanoutFailure.ts';
import {
  fanoutStepRetriers,
  LAMBDA_TIMED_OUT,
  MAP_FAILED,
  RECORD_FAILURE_RETRIERS,
  type RetryClock,
  realClock,
  StepFailedError,
  type StepFailure,
  stepFailureOf,
  withRetries,
} from './fanoutRetries.ts';

/**
 * Drives the fan-out the way the state machine does, on one machine: reads the range list, forms batches of
 * `maxItemsPerBatch` items (`{"Items": [...]}`, what the ItemBatcher hands each child), runs the chunk handler on
 * them with bounded concurrency, then the aggregate handler, each step with the state machine's retriers
 * (fanoutRetries.ts). A step that fails for good fails the run the way the Distributed Map does (no failure
 * tolerated) and the Catch's step records it (error.json). Used by `npm start` and by the tests that prove the
 * fan-out and inline paths give identical results, and that faults (throttles, crashes, timeouts) are survived.
 */
export interface LocalFanoutOptions {
  store: ObjectStore;
  chunk: (event: ChunkBatch) => Promise<unknown>;
  aggregate: (event: AggregateEvent) => Promise<unknown>;
  /** The Catch's step: writes error.json for a run that failed for good. */
  recordFailure: (event: FanoutFailureEvent) => Promise<unknown>;
  maxItemsPerBatch?: number;
  concurrency?: number;
  /** How long a chunk or aggregate call may run before it counts as a Lambda timeout (default: no limit). */
  taskTimeoutMs?: number;
  /** The retries' waits (tests pass a clock that does not wait). */
  clock?: RetryClock;
  /** Each retry, as the execution history would show it. */
  onRetry?: (step: string, failure: StepFailure, attempt: number, waitMs: number) => void;
}

export type LocalFanoutOutcome = { status: 'SUCCEEDED' } | { status: 'FAILED'; failure: StepFailure };

/** A call that has not answered within `ms` fails as Lambda reports a function that ran past its timeout. */
function withTimeout<T>(task: () => Promise<T>, ms: number | undefined): () => Promise<T> {
  if (ms === undefined) return task;
  return () =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new StepFailedError({
              Error: LAMBDA_TIMED_OUT,
              Cause: JSON.stringify({ errorMessage: `Task timed out after ${(ms / 1000).toFixed(2)} seconds` }),
            }),
          ),
        ms,
      );
      task().then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
}

export async function runLocalFanout(input: FanoutInput, options: LocalFanoutOptions): Promise<LocalFanoutOutcome> {
  const { store, maxItemsPerBatch = 4, concurrency = 4, clock = realClock } = options;
  const retriers = fanoutStepRetriers();
  const step = <T>(name: string, task: () => Promise<T>) =>
    withRetries(withTimeout(task, options.taskTimeoutMs), retriers, clock, (failure, attempt, waitMs) =>
      options.onRetry?.(name, failure, attempt, waitMs),
    );
  try {
    const items = z.array(runItemSchema).parse(JSON.parse(await store.readText(input.bucket, input.rangesKey)));
    const batches: ChunkBatch[] = [];
    for (let i = 0; i < items.length; i += maxItemsPerBatch)
      batches.push(chunkBatchOf(items.slice(i, i + maxItemsPerBatch)));
    let next = 0;
    let mapFailure: StepFailure | undefined;
    const worker = async (): Promise<void> => {
      // Once a child has failed for good the map stops starting others, as a Distributed Map does.
      while (next < batches.length && mapFailure === undefined) {
        const batch = batches[next++]!;
        await step('ClassifyChunk', () => options.chunk(batch)).catch((error: unknown) => {
          const child = stepFailureOf(error);
          mapFailure ??= {
            Error: MAP_FAILED,
            Cause: `a chunk failed after its retries (tolerated failures: 0): ${child.Error}: ${causeMessage(child.Cause)}`,
          };
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    if (mapFailure !== undefined) throw new StepFailedError(mapFailure);
    // The aggregate step's part of the execution input (the state machine passes it all; the schema picks).
    const aggregateEvent = aggregateEventSchema.parse(input);
    await step('AggregateParts', () => options.aggregate(aggregateEvent));
    return { status: 'SUCCEEDED' };
  } catch (error) {
    const failure = stepFailureOf(error);
    await withRetries(
      () =>
        options.recordFailure({ ...aggregateEventSchema.parse(input), etag: input.etag, failure, execution: 'local' }),
      RECORD_FAILURE_RETRIERS,
      clock,
    );
    return { status: 'FAILED', failure };
  }
}
