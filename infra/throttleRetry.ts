/**
 * How the fan-out retries a throttled chunk invocation. Throttling is expected, not a failure: with reserved
 * concurrency, several fan-outs share the chunk function's slots (evaluate may start one per upload while earlier
 * ones still run), so a child may wait for a long time. The retries must therefore outlast the state machine
 * itself: a file fails on its own timeout, never because its throttle retries ran out first.
 */
export interface ThrottleRetry {
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number;
  readonly maxAttempts: number;
}

const INTERVAL_SECONDS = 5;
const BACKOFF_RATE = 2;
const MAX_DELAY_SECONDS = 60;

/** The total time the retries of `retry` wait before giving up, as Step Functions computes each delay. */
export function retryBudgetSeconds(retry: ThrottleRetry): number {
  let total = 0;
  for (let attempt = 0; attempt < retry.maxAttempts; attempt++) {
    total += Math.min(retry.intervalSeconds * retry.backoffRate ** attempt, retry.maxDelaySeconds);
  }
  return total;
}

/** The fewest retries whose waits add up to at least `stateMachineTimeoutSeconds`. */
export function throttleRetryFor(stateMachineTimeoutSeconds: number): ThrottleRetry {
  const retry = {
    intervalSeconds: INTERVAL_SECONDS,
    backoffRate: BACKOFF_RATE,
    maxDelaySeconds: MAX_DELAY_SECONDS,
    maxAttempts: 1,
  };
  while (retryBudgetSeconds(retry) < stateMachineTimeoutSeconds) retry.maxAttempts++;
  return retry;
}
