import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_KEY_BYTES, resultPrefixFor } from '#adapters/evaluation/keys.ts';
import { LIST_PREFIXES } from '../../infra/constructs/ingest.ts';
import { main as evaluateCli } from '../../scripts/evaluate.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { s3ObjectCreated, sqsBatchOf } from '../support/events.ts';
import { startTestStack } from '../support/localStack.ts';
import { awsLikeS3, s3WithAwsSemantics } from '../support/s3Semantics.ts';

let stack: Awaited<ReturnType<typeof startTestStack>>;
let work: string;
beforeAll(async () => {
  // The evaluate handler gets S3's answers (403 for what it may not list, 412, key length), with the deployed grants.
  stack = await startTestStack({ evaluateS3Client: awsLikeS3(LIST_PREFIXES.evaluate) });
  work = await mkdtemp(join(tmpdir(), 'cac-eval-'));
});
afterAll(async () => {
  await stack?.stop();
  await rm(work, { recursive: true, force: true });
});

async function upload(key: string, body: string): Promise<void> {
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
  await stack.idle();
}

async function read(key: string): Promise<string | undefined> {
  try {
    const out = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
    return await out.Body!.transformToString('utf8');
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

async function list(prefix: string): Promise<string[]> {
  const out = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
  return (out.Contents ?? []).map((o) => o.Key!).sort();
}

describe('evaluating CSVs dropped into the bucket', () => {
  it("writes predictions, metrics and reports whose metrics equal the CLI's for the same file", async () => {
    const csv = syntheticCsv({ rows: 300, seed: 7, delimiter: ';', extraColumn: true });
    await upload('incoming/labelled.csv', csv);

    expect(await list('results/labelled/')).toEqual([
      'results/labelled/metrics.json',
      'results/labelled/predictions.csv',
      'results/labelled/report.html',
      'results/labelled/report.txt',
    ]);
    const local = join(work, 'labelled.csv');
    await writeFile(local, csv);
    expect(await evaluateCli([local, '--out', join(work, 'cli'), '--quiet'])).toBe(0);
    expect(JSON.parse((await read('results/labelled/metrics.json'))!)).toEqual(
      JSON.parse(await readFile(join(work, 'cli', 'metrics.json'), 'utf8')),
    );
    expect(await read('results/labelled/predictions.csv')).toBe(
      await readFile(join(work, 'cli', 'predictions.csv'), 'utf8'),
    );
    const predictions = (await read('results/labelled/predictions.csv'))!;
    expect(predictions.split('\n')[0]).toBe(
      'id,title,abstract,group,group_predicted,proba_cardiovascular,proba_hepatorenal,proba_neurological,proba_oncological,kind,confidence',
    );
  });

  it('gives predictions and reports but no metrics for a file without labels', async () => {
    await upload('incoming/unlabelled.csv', syntheticCsv({ rows: 20, labelled: false, delimiter: '\t' }));
    expect(await list('results/unlabelled/')).toEqual([
      'results/unlabelled/predictions.csv',
      'results/unlabelled/report.html',
      'results/unlabelled/report.txt',
    ]);
  });

  it('writes error.json saying what and where for a malformed file, and no predictions.csv', async () => {
    await upload('incoming/broken.csv', 'title,abstract,group\n"ok",fine,cardio\nunclosed,"quote,neuro\n');
    expect(await list('results/broken/')).toEqual(['results/broken/error.json']);
    const error = JSON.parse((await read('results/broken/error.json'))!) as {
      source: string;
      error: { code: string; details: { line: number }[] };
    };
    expect(error.source).toBe('broken.csv');
    expect(error.error.code).toBe('malformed_csv');
    expect(error.error.details[0]!.line).toBeGreaterThanOrEqual(3);
    // The record the unclosed quote opens in, and its column (not the end of the file, where the parser finds it).
    expect(error.error.details[0]).toMatchObject({ line: 3, column: 2, field: 'abstract' });
  });

  it('writes error.json for a file with a header and no rows, instead of metrics over no rows', async () => {
    await upload('incoming/header-only.csv', 'title,abstract,group\r\n\r\n');
    expect(await list('results/header-only/')).toEqual(['results/header-only/error.json']);
    const { error } = JSON.parse((await read('results/header-only/error.json'))!) as { error: { code: string } };
    expect(error.code).toBe('no_rows');
  });

  it('replaces earlier results when a corrected or broken version of the same file arrives', async () => {
    await upload('incoming/again.csv', 'name,text\nx,y\n');
    expect(await list('results/again/')).toEqual(['results/again/error.json']);
    await upload('incoming/again.csv', syntheticCsv({ rows: 5 }));
    expect(await list('results/again/')).not.toContain('results/again/error.json');
    await upload('incoming/again.csv', 'title,abstract\n,\n');
    expect(await list('results/again/')).toEqual(['results/again/error.json']);
  });

  it('handles keys with spaces, plus signs and non-ASCII characters', async () => {
    await upload('incoming/batch one/résumé 2026 + notes.csv', syntheticCsv({ rows: 10 }));
    expect(await list('results/batch one/résumé 2026 + notes/')).toContain(
      'results/batch one/résumé 2026 + notes/metrics.json',
    );
  });

  it('ignores objects outside incoming/ or not ending in .csv', async () => {
    await upload('incoming/notes.txt', 'hello');
    await upload('elsewhere/data.csv', syntheticCsv({ rows: 3 }));
    expect(await list('results/notes')).toEqual([]);
    expect(await list('results/data')).toEqual([]);
  });

  it('leaves the same objects when the same event is delivered twice', async () => {
    await upload('incoming/twice.csv', syntheticCsv({ rows: 50, seed: 3 }));
    const keys = await list('results/twice/');
    const before = await Promise.all(keys.map(read));
    await stack.evaluate(s3ObjectCreated(stack.bucket, 'incoming/twice.csv'));
    expect(await list('results/twice/')).toEqual(keys);
    expect(await Promise.all(keys.map(read))).toEqual(before);
  });

  it('skips an upload deleted before its evaluation quietly, although S3 answers 403 for a key it may not list', async () => {
    const event = s3ObjectCreated(stack.bucket, 'incoming/deleted before evaluation.csv');

    expect(await stack.evaluate(sqsBatchOf(event, 'gone'))).toEqual({ batchItemFailures: [] });
    expect(await list('results/deleted before evaluation/')).toEqual([]);
  });

  it('evaluates upper-case .CSV uploads into a folder of their own, and ignores other spellings as S3 does', async () => {
    await upload('incoming/twin.csv', syntheticCsv({ rows: 4, seed: 21 }));
    await upload('incoming/twin.CSV', syntheticCsv({ rows: 6, seed: 22 }));
    await upload('incoming/mixed.Csv', syntheticCsv({ rows: 3 }));

    const rowsOf = async (prefix: string) => parse((await read(`${prefix}predictions.csv`))!).length - 1;
    expect(await rowsOf('results/twin/')).toBe(4);
    expect(await rowsOf('results/twin.CSV/')).toBe(6);
    expect(await read('results/twin.CSV/report.txt')).toContain('twin.CSV');
    expect(await list('results/mixed')).toEqual([]);
  });

  it("shortens a result folder that would pass S3's 1,024-byte key limit, so a long key still gets its results", async () => {
    // Path segments stay short: the local server keeps each segment as a file name.
    const longKey = (last: string) =>
      `incoming/${Array.from({ length: 4 }, (_, i) => `${String(i).repeat(200)}`).join('/')}/${last.padStart(200, 'n')}.csv`;
    const keys = [longKey('a'), longKey('b')];
    expect(Buffer.byteLength(keys[0]!)).toBeGreaterThan(1_010);
    for (const key of keys) await upload(key, syntheticCsv({ rows: 5 }));

    expect(stack.failures).toEqual([]);
    const written = await Promise.all(keys.map((key) => list(resultPrefixFor(key))));
    for (const results of written) {
      expect(results.map((k) => k.slice(k.lastIndexOf('/') + 1))).toEqual([
        'metrics.json',
        'predictions.csv',
        'report.html',
        'report.txt',
      ]);
      for (const k of results) expect(Buffer.byteLength(k)).toBeLessThanOrEqual(MAX_KEY_BYTES);
    }
    expect(resultPrefixFor(keys[0]!)).not.toBe(resultPrefixFor(keys[1]!));
  });

  it('reports a file replaced between counting and reading as superseded, and evaluates the new one', async () => {
    const key = 'incoming/replaced.csv';
    let replaceOnNextPinnedRead = false;
    const replacing = await startTestStack({
      fanoutRowThreshold: 1_000_000,
      evaluateS3Client: (endpoint) => {
        const client = s3WithAwsSemantics({ endpoint, listPrefixes: LIST_PREFIXES.evaluate });
        // A new upload lands after the file was counted (plan) and before it is read with If-Match.
        client.middlewareStack.add(
          (next, context) => async (args) => {
            if (
              replaceOnNextPinnedRead &&
              context.commandName === 'GetObjectCommand' &&
              (args.input as { IfMatch?: string }).IfMatch
            ) {
              replaceOnNextPinnedRead = false;
              await replacing.s3.send(
                new PutObjectCommand({ Bucket: replacing.bucket, Key: key, Body: syntheticCsv({ rows: 8, seed: 9 }) }),
              );
            }
            return next(args);
          },
          { step: 'initialize', priority: 'high', name: 'replaceMidRun' },
        );
        return client;
      },
    });
    try {
      await replacing.s3.send(
        new PutObjectCommand({ Bucket: replacing.bucket, Key: key, Body: syntheticCsv({ rows: 5, seed: 8 }) }),
      );
      await replacing.idle();
      replaceOnNextPinnedRead = true;

      expect(await replacing.evaluate(sqsBatchOf(s3ObjectCreated(replacing.bucket, key), 'old'))).toEqual({
        batchItemFailures: [],
      });
      await replacing.idle();
      expect(replacing.failures).toEqual([]);
      const predictions = await (
        await replacing.s3.send(
          new GetObjectCommand({ Bucket: replacing.bucket, Key: 'results/replaced/predictions.csv' }),
        )
      ).Body!.transformToString();
      expect(parse(predictions)).toHaveLength(9);
    } finally {
      await replacing.stop();
    }
  });

  it('surfaces a failing S3 call as a thrown, retryable error (and as a batch item failure through SQS)', async () => {
    const real = new S3Client({
      endpoint: stack.s3Endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    let calls = 0;
    real.middlewareStack.add(
      (next) => async (args) => {
        calls++;
        if (calls === 1)
          throw Object.assign(new Error('Service Unavailable'), {
            name: 'ServiceUnavailable',
            $metadata: { httpStatusCode: 503 },
            $retryable: {},
          });
        return next(args);
      },
      { step: 'initialize', name: 'failFirstCall' },
    );
    const flaky = await startTestStack({ evaluateS3Client: real });
    try {
      await flaky.s3.send(
        new PutObjectCommand({ Bucket: flaky.bucket, Key: 'incoming/flaky.csv', Body: syntheticCsv({ rows: 5 }) }),
      );
      await flaky.idle();
      expect(flaky.failures).toHaveLength(1);
      expect((flaky.failures[0] as Error).name).toBe('ServiceUnavailable');
      // The retry (a second delivery) succeeds.
      const event = s3ObjectCreated(flaky.bucket, 'incoming/flaky.csv');
      await flaky.evaluate(event);
      calls = 0;
      expect(await flaky.evaluate(sqsBatchOf(event, 'm1'))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    } finally {
      await flaky.stop();
      real.destroy();
    }
  });
});
