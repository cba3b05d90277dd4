import { z } from 'zod';
import { ClassifierError } from '#core/errors.ts';
import type { ObjectStore } from '../s3/objectStore.ts';
import { aggregateEventSchema, fanoutInputSchema } from './fanoutContracts.ts';
import { sourceNameFor } from './keys.ts';
import { writeError } from './resultObjects.ts';

/**
 * The state machine's Catch: a run that failed for good (a chunk or the aggregate after their retries, the range
 * list unreadable) leaves `results/<name>/error.json`, the same document the inline path writes for a file it cannot
 * evaluate, with the cause; the execution still ends FAILED (the FanoutFailed alarm). The step's input is the
 * execution input plus Step Functions' `{Error, Cause}` under `failure`, and the execution's name.
 */
export const fanoutFailureSchema = aggregateEventSchema.extend({
  etag: fanoutInputSchema.shape.etag,
  failure: z.object({ Error: z.string(), Cause: z.string().optional() }),
  execution: z.string().optional(),
});
export type FanoutFailureEvent = z.infer<typeof fanoutFailureSchema>;

/** Longest part of a cause that goes into error.json (Lambda's error messages are short; a trace never goes). */
const MAX_CAUSE_CHARS = 1_000;

/** The readable part of a Step Functions cause: Lambda's `errorMessage` when it is Lambda's JSON, else the text. */
export function causeMessage(cause: string | undefined): string {
  if (!cause) return 'no cause given';
  let message = cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    // Not JSON: Step Functions' own causes are plain text.
  }
  return message.length > MAX_CAUSE_CHARS ? `${message.slice(0, MAX_CAUSE_CHARS)}…` : message;
}

export type FailureOutcome = 'recorded' | 'superseded';

/**
 * Writes error.json for the failed run, unless the upload was replaced since the run was planned: the newer upload
 * has a run of its own, whose results must not be overwritten by this one's failure (the current ETag comes from a
 * listing of incoming/, which the function may list).
 */
export async function recordFanoutFailure(event: FanoutFailureEvent, store: ObjectStore): Promise<FailureOutcome> {
  const { bucket, key, etag, resultPrefix, failure, execution } = event;
  if ((await store.currentEtag(bucket, key)) !== etag) return 'superseded';
  const where = execution ? `; Step Functions execution ${execution}` : '';
  const error = new ClassifierError(
    'fanout_failed',
    `the file could not be evaluated: its parallel evaluation failed after retries (${failure.Error}: ${causeMessage(failure.Cause)})${where}`,
  );
  await writeError(store, bucket, resultPrefix, sourceNameFor(key), error);
  return 'recorded';
}
