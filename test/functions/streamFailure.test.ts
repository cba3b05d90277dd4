import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from '#adapters/evaluation/fanoutAggregate.ts';
import { processChunk } from '#adapters/evaluation/fanoutChunk.ts';
import { type ChunkEvent, chunkBatchInput, type FanoutInput } from '#adapters/evaluation/fanoutContracts.ts';
import { planEvaluation } from '#adapters/evaluation/fanoutPlan.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';
import { type Classifier, loadClassifier } from '#core/classifier.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { DEAD_LETTERS } from '../../scripts/local/localStack.ts';
import { s3ObjectCreated, sqsBatchOf } from '../support/events.ts';
import { failBodiesMidStream } from '../support/failingSource.ts';
import { startTestStack } from '../support/localStack.ts';

/**
 * An S3 body that fails mid-stream (what the probe got by overwriting a large upload while it was read) on every
 * path that reads one: the failure reaches the caller as a rejection (so the platform retries, then dead-letters),
 * nothing is written as a result, and the process keeps running. An unhandled stream 'error' would instead end the
 * process, which vitest reports as an unhandled error that fails this file.
 */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const clientFor = (endpoint: string): S3Client =>
  new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });

let stack: Awaited<ReturnType<typeof startTestStack>>;
let failingUploads: S3Client;
let classifier: Classifier;
beforeAll(async () => {
  const s3Port = await freePort();
  failingUploads = failBodiesMidStream(clientFor(`http://127.0.0.1:${s3Port}`), /^incoming\//);
  stack = await startTestStack({ s3Port, evaluateS3Client: failingUploads });
  classifier = await loadClassifier();
});
afterAll(async () => {
  await stack?.stop();
  failingUploads?.destroy();
  await classifier?.dispose();
});

async function put(key: string, body: string): Promise<void> {
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
  await stack.idle();
}

async function list(prefix: string): Promise<string[]> {
  const out = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

/** Plans a fan-out of `key` with an S3 client that works, the way the evaluate function would. */
async function planned(key: string): Promise<{ input: FanoutInput; items: ChunkEvent['Items'] }> {
  const store = new ObjectStore(stack.s3);
  const plan = await planEvaluation(store, { bucket: stack.bucket, key, version: 'v1' }, 10, 100);
  if (plan.kind !== 'fanout') throw new Error('expected a fan-out plan');
  return {
    input: plan.input,
    items: JSON.parse(await store.readText(stack.bucket, plan.input.rangesKey)) as ChunkEvent['Items'],
  };
}

const batchOf = (input: FanoutInput, items: ChunkEvent['Items']): ChunkEvent => ({
  Items: items,
  BatchInput: chunkBatchInput(input),
});

describe('an S3 body that fails mid-stream', () => {
  it('fails the upload event in the local stack as a retryable error (delivered 3 times, then dead-lettered), writes no result, and the API keeps answering', async () => {
    const before = stack.failures.length;
    await put('incoming/reset.csv', syntheticCsv({ rows: 400, seed: 31 }));
    // Issue 16: the local bridge retries a failed event as SQS does (3 receives), then dead-letters it.
    expect(stack.failures.slice(before)).toEqual(
      Array.from({ length: 3 }, () => expect.objectContaining({ code: 'ECONNRESET' })),
    );
    expect(await list('results/reset/')).toEqual([]);
    expect(await readFile(join(stack.dataDir, DEAD_LETTERS), 'utf8')).toContain('incoming/reset.csv');
    expect((await fetch(`${stack.apiUrl}/health`)).status).toBe(200);
  });

  it('rejects a direct S3 notification (inline evaluation), so Lambda retries it', async () => {
    await expect(stack.evaluate(s3ObjectCreated(stack.bucket, 'incoming/reset.csv'))).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });

  it('reports the SQS message as a batch item failure, so it is retried and then dead-lettered', async () => {
    const event = sqsBatchOf(s3ObjectCreated(stack.bucket, 'incoming/reset.csv'), 'm-reset');
    expect(await stack.evaluate(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-reset' }] });
  });

  it('rejects a fan-out chunk (not recorded as a row problem), so Step Functions retries it', async () => {
    await put('incoming/chunked.csv', syntheticCsv({ rows: 300, seed: 32 }));
    const { input, items } = await planned('incoming/chunked.csv');
    await expect(
      processChunk(batchOf(input, items.slice(0, 1)), new ObjectStore(failingUploads), classifier),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(await list(`${input.partsPrefix}part-000000.json`)).toEqual([]);
  });

  it('rejects the aggregate step when a part fails mid-stream, and writes no predictions.csv', async () => {
    await put('incoming/aggregated.csv', syntheticCsv({ rows: 300, seed: 33 }));
    const { input, items } = await planned('incoming/aggregated.csv');
    await processChunk(batchOf(input, items), new ObjectStore(stack.s3), classifier);
    const failingParts = failBodiesMidStream(clientFor(stack.s3Endpoint), /^fanout\/.*\.csv$/);
    try {
      const { bucket, key, rangesKey, partsPrefix, resultPrefix, columns } = input;
      await expect(
        aggregate(
          { bucket, key, rangesKey, partsPrefix, resultPrefix, columns },
          new ObjectStore(failingParts),
          classifier.manifest,
        ),
      ).rejects.toMatchObject({
        code: 'ECONNRESET',
      });
      expect(await list(`${resultPrefix}predictions.csv`)).toEqual([]);
    } finally {
      failingParts.destroy();
    }
  });
});
