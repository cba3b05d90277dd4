import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { afterAll, assert, beforeAll, describe, expect, it } from 'vitest';
import { aggregate } from '#adapters/evaluation/fanoutAggregate.ts';
import { processChunk } from '#adapters/evaluation/fanoutChunk.ts';
import { type ChunkEvent, chunkBatchInput, ObjectChangedError } from '#adapters/evaluation/fanoutContracts.ts';
import { planEvaluation } from '#adapters/evaluation/fanoutPlan.ts';
import { FANOUT_PREFIX } from '#adapters/evaluation/keys.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';
import { loadClassifier } from '#core/classifier.ts';
import { LIST_PREFIXES } from '../../infra/constructs/ingest.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { startTestStack } from '../support/localStack.ts';
import { awsLikeS3, s3WithAwsSemantics } from '../support/s3Semantics.ts';

/** One client serves evaluate, chunk and aggregate locally: it has the list grants of all three. */
const FANOUT_LIST_PREFIXES = [...LIST_PREFIXES.evaluate, ...LIST_PREFIXES.chunk, ...LIST_PREFIXES.aggregate];

type Stack = Awaited<ReturnType<typeof startTestStack>>;
let inline: Stack;
let fanned: Stack;
beforeAll(async () => {
  inline = await startTestStack();
  // Threshold lowered so a 30,000-row file fans out in a test: 15 items of 2,000 rows, batched 4 per chunk.
  fanned = await startTestStack({
    fanoutRowThreshold: 1_000,
    rowsPerItem: 2_000,
    evaluateS3Client: awsLikeS3(FANOUT_LIST_PREFIXES),
  });
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

/** The embedded model's training file, beside the repository (the in-sample test skips, saying so, without it). */
const SHARED_TRAIN = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'challenge_train.csv');

describe('fan-out of large CSVs', () => {
  it('gives byte-identical predictions.csv, metrics.json and reports to the inline path for a 30,000-row file', async () => {
    const csv = syntheticCsv({ rows: 30_000, seed: 11, delimiter: ';', extraColumn: true });
    const a = await evaluate(inline, 'incoming/big.csv', csv);
    const b = await evaluate(fanned, 'incoming/big.csv', csv);
    expect([...b.keys()].sort()).toEqual([
      'results/big/metrics.json',
      'results/big/predictions.csv',
      'results/big/report.html',
      'results/big/report.txt',
    ]);
    expect(parse(b.get('results/big/predictions.csv')!)).toHaveLength(30_001);
    for (const name of ['predictions.csv', 'metrics.json', 'report.txt', 'report.html']) {
      expect(b.get(`results/big/${name}`) === a.get(`results/big/${name}`), name).toBe(true);
    }
    expect(fanned.failures).toEqual([]);
    expect(inline.fanouts).toBe(0);
    expect(fanned.fanouts).toBe(1);
  }, 120_000);

  it('reports the same count of skipped blank lines as the inline path, wherever the blank lines are', async () => {
    const lines = syntheticCsv({ rows: 2_500, seed: 8 }).split('\n');
    const recordStart = lines.findIndex((line, i) => i >= 1_500 && /^"?Study \d+:/.test(line));
    lines.splice(recordStart, 0, '', '   ');
    const csv = `\n${lines.join('\n')}\n\n`;
    const a = await evaluate(inline, 'incoming/blank lines.csv', csv);
    const b = await evaluate(fanned, 'incoming/blank lines.csv', csv);
    expect(fanned.fanouts).toBeGreaterThan(0);
    expect(a.get('results/blank lines/report.txt')).toContain('Blank lines skipped: 5');
    for (const name of ['predictions.csv', 'metrics.json', 'report.txt', 'report.html']) {
      expect(b.get(`results/blank lines/${name}`) === a.get(`results/blank lines/${name}`), name).toBe(true);
    }
  }, 60_000);

  it('never reads byte ranges from another version of the object than the one it planned on (S3: 412 on If-Match)', async () => {
    const store = new ObjectStore(
      s3WithAwsSemantics({ endpoint: fanned.s3Endpoint, listPrefixes: FANOUT_LIST_PREFIXES }),
    );
    await fanned.s3.send(
      new PutObjectCommand({
        Bucket: fanned.bucket,
        Key: 'incoming/moving.csv',
        Body: syntheticCsv({ rows: 1_500, seed: 2 }),
      }),
    );
    await fanned.idle();
    const planned = await planEvaluation(
      store,
      { bucket: fanned.bucket, key: 'incoming/moving.csv', version: 'test' },
      1_000,
      500,
    );
    if (planned.kind !== 'fanout') throw new Error('expected a fan-out plan');
    const plan = planned.input;
    const items = JSON.parse(await store.readText(fanned.bucket, plan.rangesKey)) as ChunkEvent['Items'];
    // A new version of the file arrives while the planned chunks are still to run.
    await fanned.s3.send(
      new PutObjectCommand({
        Bucket: fanned.bucket,
        Key: 'incoming/moving.csv',
        Body: syntheticCsv({ rows: 1_500, seed: 3 }),
      }),
    );
    await fanned.idle();
    const event: ChunkEvent = {
      Items: items.slice(0, 1),
      BatchInput: chunkBatchInput(plan),
    };
    const classifier = await loadClassifier();
    await expect(processChunk(event, store, classifier)).rejects.toBeInstanceOf(ObjectChangedError);
  });

  it('survives a redelivered event while its run is in progress, and gives a new upload of the same bytes its own run', async () => {
    const store = new ObjectStore(fanned.s3);
    const csv = syntheticCsv({ rows: 2_500, seed: 4 });
    const results = await evaluate(fanned, 'incoming/redelivered.csv', csv);
    const ref = { bucket: fanned.bucket, key: 'incoming/redelivered.csv', version: 'sequencer-1' };
    const plan = async () => {
      const planned = await planEvaluation(store, ref, 1_000, 500);
      if (planned.kind !== 'fanout') throw new Error('expected a fan-out plan');
      return planned.input;
    };
    const first = await plan();
    const items = JSON.parse(await store.readText(fanned.bucket, first.rangesKey)) as ChunkEvent['Items'];
    const batchInput = chunkBatchInput(first);
    const classifier = await loadClassifier();
    await processChunk({ Items: items.slice(0, 2), BatchInput: batchInput }, store, classifier);
    // The same event again, mid-run: same plan, and the parts already written stay.
    expect(await plan()).toEqual(first);
    await processChunk({ Items: items.slice(2), BatchInput: batchInput }, store, classifier);
    await aggregate(
      {
        bucket: first.bucket,
        key: first.key,
        rangesKey: first.rangesKey,
        partsPrefix: first.partsPrefix,
        resultPrefix: first.resultPrefix,
        columns: first.columns,
      },
      store,
      classifier.manifest,
    );
    expect(await store.readText(fanned.bucket, 'results/redelivered/predictions.csv')).toBe(
      results.get('results/redelivered/predictions.csv'),
    );
    expect(await store.list(fanned.bucket, first.partsPrefix)).toEqual([]);
    // Another upload of identical bytes (another sequencer) plans a separate run.
    const again = await planEvaluation(store, { ...ref, version: 'sequencer-2' }, 1_000, 500);
    assert(again.kind === 'fanout', `expected a fan-out plan, got ${again.kind}`);
    expect(again.input.partsPrefix).not.toBe(first.partsPrefix);
  }, 60_000);

  it('aggregates a second time on completed results without failing, leaving identical objects', async () => {
    const store = new ObjectStore(
      s3WithAwsSemantics({ endpoint: fanned.s3Endpoint, listPrefixes: FANOUT_LIST_PREFIXES }),
    );
    const key = 'incoming/retried aggregate.csv';
    await fanned.s3.send(
      new PutObjectCommand({ Bucket: fanned.bucket, Key: key, Body: syntheticCsv({ rows: 1_200, seed: 6 }) }),
    );
    await fanned.idle();
    const planned = await planEvaluation(store, { bucket: fanned.bucket, key, version: 'retry' }, 1_000, 500);
    if (planned.kind !== 'fanout') throw new Error('expected a fan-out plan');
    const { bucket, rangesKey, partsPrefix, resultPrefix, columns } = planned.input;
    const items = JSON.parse(await store.readText(bucket, rangesKey)) as ChunkEvent['Items'];
    const classifier = await loadClassifier();
    await processChunk(
      {
        Items: items,
        BatchInput: { bucket, key, partsPrefix, columns, delimiter: planned.input.delimiter, etag: planned.input.etag },
      },
      store,
      classifier,
    );
    const event = { bucket, key, rangesKey, partsPrefix, resultPrefix, columns };
    const first = await aggregate(event, store, classifier.manifest);
    // The test reads everything with the local server's own client (no grants to emulate).
    const reader = new ObjectStore(fanned.s3);
    const keys = await reader.list(bucket, resultPrefix);
    const objects = await Promise.all(keys.map((k) => reader.readText(bucket, k)));

    // Step Functions retries the step on Lambda.ServiceException, possibly after it finished.
    expect(await aggregate(event, store, classifier.manifest)).toEqual(first);
    expect(await reader.list(bucket, resultPrefix)).toEqual(keys);
    expect(await Promise.all(keys.map((k) => reader.readText(bucket, k)))).toEqual(objects);
  }, 60_000);

  it("keeps an abandoned run's work under fanout/ only, which the stack expires by lifecycle rule", async () => {
    const store = new ObjectStore(
      s3WithAwsSemantics({ endpoint: fanned.s3Endpoint, listPrefixes: FANOUT_LIST_PREFIXES }),
    );
    const key = 'incoming/abandoned.csv';
    await fanned.s3.send(
      new PutObjectCommand({ Bucket: fanned.bucket, Key: key, Body: syntheticCsv({ rows: 1_500, seed: 12 }) }),
    );
    await fanned.idle();
    const planned = await planEvaluation(store, { bucket: fanned.bucket, key, version: 'abandoned' }, 1_000, 500);
    if (planned.kind !== 'fanout') throw new Error('expected a fan-out plan');
    const { bucket, rangesKey, partsPrefix, columns, delimiter, etag } = planned.input;
    const items = JSON.parse(await store.readText(bucket, rangesKey)) as ChunkEvent['Items'];
    await processChunk(
      { Items: items.slice(0, 1), BatchInput: { bucket, key, partsPrefix, columns, delimiter, etag } },
      store,
      await loadClassifier(),
    );
    // The file is replaced: this run's remaining chunks fail and its aggregate never runs.
    await fanned.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: syntheticCsv({ rows: 1_500, seed: 13 }) }),
    );
    await fanned.idle();

    const leftovers = await new ObjectStore(fanned.s3).list(bucket, partsPrefix);
    expect(leftovers.length).toBeGreaterThan(0);
    expect(leftovers.every((k) => k.startsWith(FANOUT_PREFIX))).toBe(true);
    expect(
      (await fanned.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'results/abandoned/' }))).Contents?.map(
        (o) => o.Key,
      ),
    ).toEqual(expect.not.arrayContaining([expect.stringContaining('part-')]));
  }, 60_000);

  it('rejects a fanned-out file with bad rows through error.json, naming each row, and leaves no parts behind', async () => {
    const lines = syntheticCsv({ rows: 3_000, seed: 5 }).split('\n');
    lines[10] = ',,cardio';
    lines[2_500] = 'title,abstract,pulmonary';
    const out = await evaluate(fanned, 'incoming/bad rows.csv', lines.join('\n'));
    expect([...out.keys()].filter((k) => k.startsWith('results/bad rows/'))).toEqual(['results/bad rows/error.json']);
    const error = JSON.parse(out.get('results/bad rows/error.json')!) as {
      error: { code: string; details: { line: number; message: string }[] };
    };
    expect(error.error.code).toBe('invalid_rows');
    expect(error.error.details.map((d) => d.line)).toEqual([11, 2_501]);
  }, 60_000);

  // Last: it leaves results/train/ behind, and the first test lists every result key.
  it.skipIf(!existsSync(SHARED_TRAIN))(
    'warns of in-sample scores for the training file in both reports, inline and fanned out alike',
    async () => {
      const csv = await readFile(SHARED_TRAIN, 'utf8');
      const a = await evaluate(inline, 'incoming/train.csv', csv);
      const b = await evaluate(fanned, 'incoming/train.csv', csv);
      expect(fanned.fanouts).toBeGreaterThan(0);
      expect(a.get('results/train/report.txt')).toContain(
        'WARNING: In-sample: 2964 of 2964 rows (100 %) are training rows of the model',
      );
      expect(a.get('results/train/report.html')).toContain('<strong>In-sample scores.</strong> 2964 of 2964 rows');
      for (const name of ['predictions.csv', 'metrics.json', 'report.txt', 'report.html'])
        expect(b.get(`results/train/${name}`) === a.get(`results/train/${name}`), name).toBe(true);
    },
    120_000,
  );
});
