/**
 * The local fan-out runner with injected faults: throttles, Lambda service errors, crashes and timeouts of the chunk
 * and aggregate steps. The runner applies the state machine's own retriers (fanoutRetries.ts) and Catch, so these
 * are the outcomes the deployed state machine gives: the results after retries, or error.json.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from '#adapters/evaluation/fanoutAggregate.ts';
import { processChunk } from '#adapters/evaluation/fanoutChunk.ts';
import { type ChunkBatch, chunkEventSchema, type FanoutInput } from '#adapters/evaluation/fanoutContracts.ts';
import { recordFanoutFailure } from '#adapters/evaluation/fanoutFailure.ts';
import { planEvaluation } from '#adapters/evaluation/fanoutPlan.ts';
import { LAMBDA_TIMED_OUT, MAP_FAILED, type StepFailure } from '#adapters/evaluation/fanoutRetries.ts';
import { type LocalFanoutOptions, runLocalFanout } from '#adapters/evaluation/localFanout.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';
import { type Classifier, loadClassifier } from '#core/classifier.ts';
import { LIST_PREFIXES } from '../../infra/constructs/ingest.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { startTestStack } from '../support/localStack.ts';
import { s3WithAwsSemantics } from '../support/s3Semantics.ts';

const LIST = [...LIST_PREFIXES.evaluate, ...LIST_PREFIXES.chunk, ...LIST_PREFIXES.aggregate];

let stack: Awaited<ReturnType<typeof startTestStack>>;
let store: ObjectStore;
let reader: ObjectStore;
let classifier: Classifier;
beforeAll(async () => {
  stack = await startTestStack();
  store = new ObjectStore(s3WithAwsSemantics({ endpoint: stack.s3Endpoint, listPrefixes: LIST }));
  reader = new ObjectStore(stack.s3);
  classifier = await loadClassifier();
});
afterAll(() => stack?.stop());

/** Uploads a 1,500-row file and plans its fan-out: 3 items of 500 rows, one batch each. */
async function planned(name: string, seed: number, version = name): Promise<FanoutInput> {
  const key = `incoming/${name}.csv`;
  await stack.s3.send(
    new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: syntheticCsv({ rows: 1_500, seed }) }),
  );
  await stack.idle();
  const plan = await planEvaluation(store, { bucket: stack.bucket, key, version }, 1_000, 500);
  if (plan.kind !== 'fanout') throw new Error('expected a fan-out plan');
  return plan.input;
}

const lambdaError = (name: string, message = `injected ${name}`) => Object.assign(new Error(message), { name });

interface Faults {
  /** Per call of the chunk step (in call order, across batches): throw this, hang, or run. */
  chunk?: (call: number, batch: ChunkBatch) => Error | 'hang' | undefined;
  aggregate?: (call: number) => Error | undefined;
}

/** Runs the fan-out with the real chunk and aggregate steps behind the injected faults; waits are not slept. */
async function run(input: FanoutInput, faults: Faults, extra: Partial<LocalFanoutOptions> = {}) {
  const calls = { chunk: 0, aggregate: 0 };
  const retries: { step: string; failure: StepFailure; waitMs: number }[] = [];
  const outcome = await runLocalFanout(input, {
    store,
    maxItemsPerBatch: 1,
    concurrency: 1,
    clock: { sleep: async () => undefined, random: () => 0.5 },
    onRetry: (step, failure, _attempt, waitMs) => retries.push({ step, failure, waitMs }),
    chunk: async (batch) => {
      const call = calls.chunk++;
      const fault = faults.chunk?.(call, batch);
      if (fault === 'hang') return new Promise(() => undefined);
      if (fault) throw fault;
      return processChunk(chunkEventSchema.parse(batch), store, classifier);
    },
    aggregate: async (event) => {
      const call = calls.aggregate++;
      const fault = faults.aggregate?.(call);
      if (fault) throw fault;
      return aggregate(event, store, classifier.manifest);
    },
    recordFailure: (event) => recordFanoutFailure(event, store),
    ...extra,
  });
  return { outcome, calls, retries };
}

const results = async (input: FanoutInput) => (await reader.list(stack.bucket, input.resultPrefix)).sort();
const errorJson = async (input: FanoutInput) =>
  JSON.parse(await reader.readText(stack.bucket, `${input.resultPrefix}error.json`)) as {
    source: string;
    error: { code: string; message: string; details: unknown[] };
  };

describe('the fan-out with injected faults', () => {
  it('completes after throttled chunk invocations, waiting with backoff and jitter', async () => {
    const input = await planned('throttled', 1);
    const { outcome, calls, retries } = await run(input, {
      chunk: (call) => (call < 3 ? lambdaError('Lambda.TooManyRequestsException', 'Rate Exceeded.') : undefined),
    });

    expect(outcome).toEqual({ status: 'SUCCEEDED' });
    expect(calls.chunk).toBe(3 + 3);
    expect(retries.map((r) => r.failure.Error)).toEqual(Array(3).fill('Lambda.TooManyRequestsException'));
    // 5 s, 10 s, 20 s, each half by the jitter drawn here.
    expect(retries.map((r) => r.waitMs)).toEqual([2_500, 5_000, 10_000]);
    expect(await results(input)).toEqual(
      ['metrics.json', 'predictions.csv', 'report.html', 'report.txt'].map((f) => `${input.resultPrefix}${f}`),
    );
  });

  it('completes after a Lambda service error and a crash of one chunk (a chunk is idempotent)', async () => {
    const input = await planned('crashed once', 2);
    const { outcome, retries } = await run(input, {
      chunk: (call) =>
        call === 0 ? lambdaError('Lambda.ServiceException') : call === 1 ? new TypeError('socket hang up') : undefined,
    });

    expect(outcome).toEqual({ status: 'SUCCEEDED' });
    expect(retries.map((r) => r.failure.Error)).toEqual(['Lambda.ServiceException', 'TypeError']);
    expect(await reader.exists(stack.bucket, `${input.resultPrefix}predictions.csv`)).toBe(true);
  });

  it('completes after a chunk ran past its timeout once', async () => {
    const input = await planned('slow once', 3);
    const { outcome, retries } = await run(
      input,
      { chunk: (call) => (call === 0 ? 'hang' : undefined) },
      {
        taskTimeoutMs: 2_000,
      },
    );

    expect(outcome).toEqual({ status: 'SUCCEEDED' });
    expect(retries.map((r) => r.failure.Error)).toEqual([LAMBDA_TIMED_OUT]);
  });

  it('writes error.json with the cause, as the inline path writes its errors, when a chunk keeps crashing', async () => {
    // An earlier upload's run left results that the failure must replace.
    expect((await run(await planned('always crashes', 4, 'earlier'), {})).outcome.status).toBe('SUCCEEDED');
    const input = await planned('always crashes', 4);
    const { outcome, calls } = await run(input, {
      chunk: (_call, batch) => (batch.Items[0]!.index === 1 ? new Error('out of memory in part 1') : undefined),
    });

    expect(outcome).toMatchObject({ status: 'FAILED', failure: { Error: MAP_FAILED } });
    // The failing batch: its first attempt and two retries; the map then starts no other batch.
    expect(calls.chunk).toBe(1 + 3);
    expect(await results(input)).toEqual([`${input.resultPrefix}error.json`]);
    const document = await errorJson(input);
    expect(Object.keys(document)).toEqual(['source', 'error']);
    expect(Object.keys(document.error)).toEqual(['code', 'message', 'details']);
    expect(document).toMatchObject({ source: 'always crashes.csv', error: { code: 'fanout_failed' } });
    expect(document.error.message).toContain('out of memory in part 1');
    expect(document.error.message).not.toMatch(/\bat \w+ \(|\.ts:\d+/);
  });

  it('writes error.json naming the timeout when a chunk never finishes', async () => {
    const input = await planned('always slow', 5);
    const { outcome } = await run(input, { chunk: () => 'hang' }, { taskTimeoutMs: 500 });

    expect(outcome.status).toBe('FAILED');
    expect((await errorJson(input)).error.message).toMatch(/Sandbox\.Timedout: Task timed out after 0\.50 seconds/);
  });

  it('retries a throttled or crashed aggregate step and completes (a finished aggregate answers from its marker)', async () => {
    const input = await planned('aggregate retried', 6);
    const { outcome, calls } = await run(input, {
      aggregate: (call) =>
        call === 0 ? lambdaError('Lambda.TooManyRequestsException') : call === 1 ? new Error('S3 503') : undefined,
    });

    expect(outcome).toEqual({ status: 'SUCCEEDED' });
    expect(calls.aggregate).toBe(3);
    expect(await reader.exists(stack.bucket, `${input.resultPrefix}predictions.csv`)).toBe(true);
  });

  it('writes error.json when the aggregate step keeps failing', async () => {
    const input = await planned('aggregate fails', 7);
    const { outcome } = await run(input, { aggregate: () => new Error('cannot write results') });

    expect(outcome).toMatchObject({ status: 'FAILED', failure: { Error: 'Error' } });
    expect((await errorJson(input)).error.message).toContain('cannot write results');
  });

  it('never overwrites the results of a newer upload with the failure of a run it superseded', async () => {
    const input = await planned('replaced', 8);
    const newer = syntheticCsv({ rows: 100, seed: 9 });
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: input.key, Body: newer }));
    await stack.idle();
    const before = await reader.readText(stack.bucket, `${input.resultPrefix}predictions.csv`);

    const { outcome, calls } = await run(input, {});

    // The chunk reads with If-Match on the planned ETag: S3 refuses, and a replaced file is not retried.
    expect(outcome).toMatchObject({ status: 'FAILED', failure: { Error: MAP_FAILED } });
    expect(calls.chunk).toBe(1);
    expect(await reader.exists(stack.bucket, `${input.resultPrefix}error.json`)).toBe(false);
    expect(await reader.readText(stack.bucket, `${input.resultPrefix}predictions.csv`)).toBe(before);
  });
});
