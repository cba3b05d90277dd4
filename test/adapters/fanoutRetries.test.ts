import { describe, expect, it } from 'vitest';
import {
  fanoutStepRetriers,
  LAMBDA_TIMED_OUT,
  OBJECT_CHANGED,
  type Retrier,
  retrierFor,
  retryBudgetSeconds,
  STATES_TIMEOUT,
  StepFailedError,
  TASK_RETRIER,
  THROTTLED,
  withRetries,
} from '#adapters/evaluation/fanoutRetries.ts';

/** A clock that records the waits instead of waiting; jitter draws `draw`. */
function recordingClock(draw = 0.5) {
  const waits: number[] = [];
  return { waits, clock: { sleep: async (ms: number) => void waits.push(ms), random: () => draw } };
}

/** A task that fails with the given error names, in turn, then answers 'done'. */
function failing(...names: string[]) {
  let calls = 0;
  const task = async () => {
    const name = names[calls++];
    if (name === undefined) return 'done';
    const error = new Error(`failure ${calls}`);
    error.name = name;
    throw error;
  };
  return { task, calls: () => calls };
}

describe("the fan-out's retriers, as the Amazon States Language applies them", () => {
  const retriers = fanoutStepRetriers();

  it('uses the first retrier whose ErrorEquals names the error, so throttles get their own long budget', () => {
    expect(retrierFor(retriers, THROTTLED)?.errors).toEqual([THROTTLED]);
    expect(retrierFor(retriers, 'Lambda.ServiceException')?.errors).toContain('Lambda.ServiceException');
    expect(retrierFor(retriers, OBJECT_CHANGED)?.maxAttempts).toBe(0);
  });

  it('lets States.TaskFailed match any other error of a task except States.Timeout, which is named on its own', () => {
    expect(retrierFor([TASK_RETRIER], 'Error')).toBe(TASK_RETRIER);
    expect(retrierFor([TASK_RETRIER], LAMBDA_TIMED_OUT)).toBe(TASK_RETRIER);
    const onlyTaskFailed: Retrier = { ...TASK_RETRIER, errors: ['States.TaskFailed'] };
    expect(retrierFor([onlyTaskFailed], STATES_TIMEOUT)).toBeUndefined();
  });

  it('waits min(interval × rate^(n−1), max delay) before retry n, a random part of it with full jitter', async () => {
    const { waits, clock } = recordingClock(0.5);
    const { task } = failing('Error', 'Error');
    await withRetries(task, retriers, clock);
    // TASK_RETRIER: 10 s, then 20 s, each drawn at half by the jitter.
    expect(waits).toEqual([5_000, 10_000]);
  });

  it('gives up once a retrier has spent its attempts, reporting the error as Step Functions would', async () => {
    const { clock } = recordingClock();
    const { task, calls } = failing('Error', 'Error', 'Error', 'Error');
    const failure = await withRetries(task, retriers, clock).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StepFailedError);
    expect((failure as StepFailedError).failure).toEqual({
      Error: 'Error',
      Cause: JSON.stringify({ errorType: 'Error', errorMessage: 'failure 3' }),
    });
    expect(calls()).toBe(1 + TASK_RETRIER.maxAttempts);
  });

  it('counts each retrier on its own: throttles do not use up the retries of a crash', async () => {
    const { clock } = recordingClock();
    const { task, calls } = failing(THROTTLED, THROTTLED, THROTTLED, 'Error', 'Error');
    expect(await withRetries(task, retriers, clock)).toBe('done');
    expect(calls()).toBe(6);
  });

  it('never retries a file replaced since the run was planned', async () => {
    const { clock } = recordingClock();
    const { task, calls } = failing(OBJECT_CHANGED, OBJECT_CHANGED);
    await expect(withRetries(task, retriers, clock)).rejects.toBeInstanceOf(StepFailedError);
    expect(calls()).toBe(1);
  });

  it('expects the throttle retries to last as long as the state machine may run, not more than a minute longer', () => {
    const throttle = retrierFor(retriers, THROTTLED)!;
    expect(retryBudgetSeconds(throttle)).toBeGreaterThanOrEqual(6 * 3600);
    expect(retryBudgetSeconds({ ...throttle, maxAttempts: throttle.maxAttempts - 1 })).toBeLessThan(6 * 3600);
  });
});
