import { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncompleteObjectError } from '#adapters/evaluation/uploadedObject.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { s3ObjectCreated, sqsBatchOf } from '../support/events.ts';
import { startTestStack } from '../support/localStack.ts';

/**
 * An upload event is evaluated only against the object it announced. A read that is shorter than the event's size
 * (s3rver announces objects before they are fully on disk; a body can end early) is a transient failure: thrown,
 * so it is retried, and never a result (the probe saw 90 of 100 rows evaluated, or a bogus "empty file" error.json).
 */
type Stack = Awaited<ReturnType<typeof startTestStack>>;
let inline: Stack;
let fanned: Stack;
beforeAll(async () => {
  inline = await startTestStack();
  fanned = await startTestStack({ fanoutRowThreshold: 50, rowsPerItem: 40 });
});
afterAll(async () => {
  await inline?.stop();
  await fanned?.stop();
});

/** Uploads `body` and returns what S3 says about it (size and quoted ETag), after the stack has evaluated it. */
async function put(stack: Stack, key: string, body: string): Promise<{ size: number; etag: string }> {
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
  await stack.idle();
  const head = await stack.s3.send(new HeadObjectCommand({ Bucket: stack.bucket, Key: key }));
  return { size: head.ContentLength!, etag: head.ETag! };
}

async function list(stack: Stack, prefix: string): Promise<string[]> {
  const out = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

/** An upload whose results were removed, so a test can see whether a delivery writes any. */
async function uploadWithoutResults(stack: Stack, key: string, rows: number): Promise<{ size: number; etag: string }> {
  const object = await put(stack, key, syntheticCsv({ rows, seed: rows }));
  const prefix = `results/${key.slice('incoming/'.length, -'.csv'.length)}/`;
  const keys = await list(stack, prefix);
  if (keys.length > 0)
    await stack.s3.send(
      new DeleteObjectsCommand({ Bucket: stack.bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
    );
  return object;
}

describe('an event evaluated against the object it announced', () => {
  it('fails transiently and writes no result when the object holds fewer bytes than the event announced', async () => {
    const { size, etag } = await uploadWithoutResults(inline, 'incoming/short.csv', 100);
    await expect(
      inline.evaluate(s3ObjectCreated(inline.bucket, 'incoming/short.csv', size + 120, etag)),
    ).rejects.toBeInstanceOf(IncompleteObjectError);
    expect(await list(inline, 'results/short/')).toEqual([]);
  });

  it('reports it as a batch item failure through SQS', async () => {
    const { size, etag } = await uploadWithoutResults(inline, 'incoming/short.csv', 100);
    const event = sqsBatchOf(s3ObjectCreated(inline.bucket, 'incoming/short.csv', size + 120, etag), 'm-short');
    expect(await inline.evaluate(event)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-short' }] });
    expect(await list(inline, 'results/short/')).toEqual([]);
  });

  it('fails transiently when the body ends before the announced size, even if the response claimed the full length', async () => {
    const { size, etag } = await uploadWithoutResults(inline, 'incoming/cut.csv', 100);
    const cutting = new S3Client({
      endpoint: inline.s3Endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    cutting.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        if (context.commandName !== 'GetObjectCommand') return result;
        const output = result.output as { Body?: { transformToByteArray(): Promise<Uint8Array> } };
        const bytes = await output.Body!.transformToByteArray();
        (output as { Body?: unknown }).Body = Readable.from([
          Buffer.from(bytes.subarray(0, Math.floor(bytes.length * 0.9))),
        ]);
        return result;
      },
      { step: 'initialize', name: 'cutBodies' },
    );
    // A stack whose evaluate handler reads the first stack's bucket through the cutting client.
    const cut = await startTestStack({ evaluateS3Client: cutting });
    try {
      await expect(cut.evaluate(s3ObjectCreated(inline.bucket, 'incoming/cut.csv', size, etag))).rejects.toBeInstanceOf(
        IncompleteObjectError,
      );
      expect(await list(inline, 'results/cut/')).toEqual([]);
    } finally {
      await cut.stop();
      cutting.destroy();
    }
  });

  it('does not plan a fan-out on an object shorter than announced', async () => {
    const { size, etag } = await uploadWithoutResults(fanned, 'incoming/short-fanned.csv', 120);
    const before = fanned.fanouts;
    await expect(
      fanned.evaluate(s3ObjectCreated(fanned.bucket, 'incoming/short-fanned.csv', size + 500, etag)),
    ).rejects.toBeInstanceOf(IncompleteObjectError);
    expect(fanned.fanouts).toBe(before);
    expect(await list(fanned, 'results/short-fanned/')).toEqual([]);
  });

  it('evaluates an event whose size and ETag match what is read', async () => {
    const { size, etag } = await uploadWithoutResults(inline, 'incoming/complete.csv', 100);
    await inline.evaluate(s3ObjectCreated(inline.bucket, 'incoming/complete.csv', size, etag.replace(/"/g, '')));
    expect(await list(inline, 'results/complete/')).toContain('results/complete/predictions.csv');
  });

  it("leaves an upload that was replaced since its event to the newer upload's own event", async () => {
    const { size } = await uploadWithoutResults(inline, 'incoming/replaced.csv', 100);
    await inline.evaluate(
      s3ObjectCreated(inline.bucket, 'incoming/replaced.csv', size, '0123456789abcdef0123456789abcdef'),
    );
    expect(await list(inline, 'results/replaced/')).toEqual([]);
  });
});
