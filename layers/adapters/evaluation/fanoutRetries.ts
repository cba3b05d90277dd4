/**
 * How the fan-out survives failures: the Retry and Catch policy of every Lambda step of the state machine, written
 * once. The CDK construct (infra/constructs/fanout.ts) renders it into the definition and the local runner
 * (localFanout.ts) applies it with the semantics of the Amazon States Language, so `npm start` and the tests see the
 * same retries as AWS. No AWS CDK import here.
 *
 * ASL semantics relied on (Step Functions developer guide, "Handling errors in Step Functions workflows"):
 * - retriers are tried in order and the first whose ErrorEquals names the error applies; `States.TaskFailed` matches
 *   any error of a Task state except `States.Timeout`, `States.ALL` matches every error;
 * - a retrier counts its own attempts; once MaxAttempts retries are spent (0: never retried) the error goes to the
 *   state's Catch, or fails the execution;
 * - the n-th retry (n = 1, 2, …) waits min(IntervalSeconds × BackoffRate^(n−1), MaxDelaySeconds); with
 *   JitterStrategy FULL a uniformly random part of it.
 */

/** A fan-out that has not finished by then fails (and raises the FanoutTimedOut alarm). */
export const FANOUT_TIMEOUT_SECONDS = 6 * 3600;

/** Lambda throttling: reserved concurrency, the account quota, or a burst beyond Lambda's scaling rate. */
export const THROTTLED = 'Lambda.TooManyRequestsException';
/** Lambda's own transient errors (LambdaInvoke's default retry list). */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
] as const;
export const TASK_FAILED = 'States.TaskFailed';
export const STATES_TIMEOUT = 'States.Timeout';
export const STATES_ALL = 'States.ALL';
/** What Step Functions reports when a Lambda function runs past its own timeout. */
export const LAMBDA_TIMED_OUT = 'Sandbox.Timedout';
/** What a Distributed Map fails with once more children failed than it tolerates (none here). */
export const MAP_FAILED = 'States.ExceedToleratedFailureThreshold';
/**
 * The file was replaced after the run was planned (fanoutContracts.ts): retrying reads the same new version and
 * fails again, and the new upload has a run of its own.
 */
export const OBJECT_CHANGED = 'ObjectChangedError';

export interface Retrier {
  readonly errors: readonly string[];
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number;
  /** Retries after the first attempt; 0: the errors are never retried. */
  readonly maxAttempts: number;
  /** FULL: each wait is a uniformly random part of the computed one, so throttled children do not retry in step. */
  readonly jitter: 'FULL' | 'NONE';
}

/**
 * The expected total wait of a retrier that spends all its attempts (the sum of the computed waits, halved by FULL
 * jitter). Over hundreds of attempts the random total stays close to it.
 */
export function retryBudgetSeconds(retry: Retrier): number {
  let total = 0;
  for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
    total += Math.min(retry.intervalSeconds * retry.backoffRate ** attempt, retry.maxDelaySeconds);
  }
  return retry.jitter === 'FULL' ? total / 2 : total;
}

/**
 * Throttles are expected, not failures: with reserved concurrency several fan-outs share the chunk function's slots,
 * so a child may wait a long time. These retries outlast the state machine itself (in expectation): a file fails on
 * its own timeout, never because its throttle retries ran out first.
 */
export function throttleRetrier(timeoutSeconds = FANOUT_TIMEOUT_SECONDS): Retrier {
  const retry = {
    errors: [THROTTLED],
    intervalSeconds: 5,
    backoffRate: 2,
    maxDelaySeconds: 60,
    maxAttempts: 1,
    jitter: 'FULL' as const,
  };
  while (retryBudgetSeconds(retry) < timeoutSeconds) retry.maxAttempts++;
  return retry;
}

/** Lambda's transient service errors: a few quick retries (LambdaInvoke's defaults, with jitter). */
export const SERVICE_RETRIER: Retrier = {
  errors: LAMBDA_SERVICE_ERRORS,
  intervalSeconds: 2,
  backoffRate: 2,
  maxDelaySeconds: 30,
  maxAttempts: 6,
  jitter: 'FULL',
};

/**
 * Any other failure of an idempotent step (a crash, an S3 error that outlived the SDK's own retries, a Lambda
 * timeout): retried a bounded number of times, then the Catch writes error.json. Chunks rewrite the same parts, and
 * a finished aggregate answers from its done marker, so a retry never mixes two attempts.
 */
export const TASK_RETRIER: Retrier = {
  errors: [TASK_FAILED, STATES_TIMEOUT],
  intervalSeconds: 10,
  backoffRate: 2,
  maxDelaySeconds: 60,
  maxAttempts: 2,
  jitter: 'FULL',
};

const NEVER_RETRIED: Retrier = {
  errors: [OBJECT_CHANGED],
  intervalSeconds: 1,
  backoffRate: 1,
  maxDelaySeconds: 1,
  maxAttempts: 0,
  jitter: 'NONE',
};

/** The chunk step and the aggregate step (both idempotent), in the order Step Functions tries them. */
export const fanoutStepRetriers = (timeoutSeconds = FANOUT_TIMEOUT_SECONDS): readonly Retrier[] => [
  NEVER_RETRIED,
  throttleRetrier(timeoutSeconds),
  SERVICE_RETRIER,
  TASK_RETRIER,
];

/** The step that records a failed run (writes error.json): throttles and service errors only, boundedly. */
export const RECORD_FAILURE_RETRIERS: readonly Retrier[] = [
  { ...SERVICE_RETRIER, errors: [THROTTLED] },
  SERVICE_RETRIER,
];

/** A failed step as Step Functions describes it: an error name and a cause (Lambda's `{errorType, errorMessage}`). */
export interface StepFailure {
  readonly Error: string;
  readonly Cause: string;
}

export class StepFailedError extends Error {
  override readonly name = 'StepFailedError';
  constructor(readonly failure: StepFailure) {
    super(`${failure.Error}: ${failure.Cause}`);
  }
}

/** How Step Functions reports an error a Lambda handler threw: its name, and Lambda's JSON error as the cause. */
export function stepFailureOf(error: unknown): StepFailure {
  if (error instanceof StepFailedError) return error.failure;
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { Error: name, Cause: JSON.stringify({ errorType: name, errorMessage: message }) };
}

/** The first retrier that applies to `error`, as ASL chooses it. */
export function retrierFor(retriers: readonly Retrier[], error: string): Retrier | undefined {
  return retriers.find(
    (retrier) =>
      retrier.errors.includes(error) ||
      retrier.errors.includes(STATES_ALL) ||
      (retrier.errors.includes(TASK_FAILED) && error !== STATES_TIMEOUT),
  );
}

export interface RetryClock {
  /** Waits `ms`; tests pass one that returns at once. */
  sleep(ms: number): Promise<void>;
  /** In [0, 1), for FULL jitter. */
  random(): number;
}

export const realClock: RetryClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

/**
 * Runs one Task state's work with its retriers, as Step Functions would; throws StepFailedError once the error is
 * not (or no longer) retried. `onRetry` sees each retry (for logs and tests).
 */
export async function withRetries<T>(
  task: () => Promise<T>,
  retriers: readonly Retrier[],
  clock: RetryClock = realClock,
  onRetry?: (failure: StepFailure, attempt: number, waitMs: number) => void,
): Promise<T> {
  const attempts = new Map<Retrier, number>();
  for (;;) {
    try {
      return await task();
    } catch (error) {
      const failure = stepFailureOf(error);
      const retrier = retrierFor(retriers, failure.Error);
      const done = attempts.get(retrier!) ?? 0;
      if (retrier === undefined || done >= retrier.maxAttempts) throw new StepFailedError(failure);
      attempts.set(retrier, done + 1);
      const computed = Math.min(retrier.intervalSeconds * retrier.backoffRate ** done, retrier.maxDelaySeconds) * 1000;
      const waitMs = retrier.jitter === 'FULL' ? clock.random() * computed : computed;
      onRetry?.(failure, done + 1, waitMs);
      await clock.sleep(waitMs);
    }
  }
}
