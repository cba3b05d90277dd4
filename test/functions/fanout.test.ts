import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCsv } from '../support/csvFixtures.ts';
import { ObjectChangedError, planFanout, processChunk, type ChunkEvent } from '#adapters/evaluation/fanout.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';
import { loadClassifier } from '#core/classifier.ts';
import { startTestStack } from '../support/localStack.ts';

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let inline: Stack;
let fanned: Stack;
beforeAll(async () => {
  inline = await startTestStack();
  // Threshold lowered so a 30,000-row file fans out in a test: 15 items of 2,000 rows, batched 4 per chunk.
  fanned = await startTestStack({ fanoutRowThreshold: 1_000, rowsPerItem: 2_000 });
});
afterAll(async () => {
  await inline?.stop();
  await fanned?.stop();
});

async function evaluate(stack: Stack, key: string, body: string): Promise<Map<string, string>> {
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
  await stack.idle();
  const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: 'results/' }));
  const out = new Map<string, string>();
  for (const { Key } of listed.Contents ?? []) {
    const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: Key! }));
    out.set(Key!, await object.Body!.transformToString('utf8'));
  }
  return out;
}

describe('fan-out of large CSVs', () => {
  it('gives byte-identical predictions.csv, metrics.json and reports to the inline path for a 30,000-row file', async () => {
    const csv = syntheticCsv({ rows: 30_000, seed: 11, delimiter: ';', extraColumn: true });
    const a = await evaluate(inline, 'incoming/big.csv', csv);
    const b = await evaluate(fanned, 'incoming/big.csv', csv);
    expect([...b.keys()].sort()).toEqual(['results/big/metrics.json', 'results/big/predictions.csv', 'results/big/report.html', 'results/big/report.txt']);
    expect(parse(b.get('results/big/predictions.csv')!)).toHaveLength(30_001);
    for (const name of ['predictions.csv', 'metrics.json', 'report.txt', 'report.html']) {
      expect(b.get(`results/big/${name}`) === a.get(`results/big/${name}`), name).toBe(true);
    }
    expect(fanned.failures).toEqual([]);
    expect(inline.fanouts).toBe(0);
    expect(fanned.fanouts).toBe(1);
  }, 120_000);

  it('never reads byte ranges from another version of the object than the one it planned on', async () => {
    const store = new ObjectStore(fanned.s3);
    await fanned.s3.send(new PutObjectCommand({ Bucket: fanned.bucket, Key: 'incoming/moving.csv', Body: syntheticCsv({ rows: 1_500, seed: 2 }) }));
    await fanned.idle();
    const plan = (await planFanout(store, fanned.bucket, 'incoming/moving.csv', 1_000, 500))!;
    const items = JSON.parse(await store.readText(fanned.bucket, plan.manifestKey)) as ChunkEvent['Items'];
    // A new version of the file arrives while the planned chunks are still to run.
    await fanned.s3.send(new PutObjectCommand({ Bucket: fanned.bucket, Key: 'incoming/moving.csv', Body: syntheticCsv({ rows: 1_500, seed: 3 }) }));
    await fanned.idle();
    const event: ChunkEvent = { Items: items.slice(0, 1), BatchInput: { bucket: plan.bucket, key: plan.key, partsPrefix: plan.partsPrefix, columns: plan.columns, delimiter: plan.delimiter, etag: plan.etag } };
    const classifier = await loadClassifier();
    await expect(processChunk(event, store, classifier)).rejects.toBeInstanceOf(ObjectChangedError);
  });

  it('rejects a fanned-out file with bad rows through error.json, naming each row, and leaves no parts behind', async () => {
    const lines = syntheticCsv({ rows: 3_000, seed: 5 }).split('\n');
    lines[10] = ',,cardio';
    lines[2_500] = 'title,abstract,pulmonary';
    const out = await evaluate(fanned, 'incoming/bad rows.csv', lines.join('\n'));
    expect([...out.keys()].filter((k) => k.startsWith('results/bad rows/'))).toEqual(['results/bad rows/error.json']);
    const error = JSON.parse(out.get('results/bad rows/error.json')!) as { error: { code: string; details: { line: number; message: string }[] } };
    expect(error.error.code).toBe('invalid_rows');
    expect(error.error.details.map((d) => d.line)).toEqual([11, 2_501]);
  }, 60_000);
});
