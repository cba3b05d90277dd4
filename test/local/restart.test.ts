import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier } from '#core/classifier.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { EVENT_JOURNAL } from '../../scripts/local/localStack.ts';
import { expectedPredictions as expectedResults } from '../support/expectedResults.ts';

/**
 * `kill -9` of `npm start` in the middle of an evaluation loses nothing: the event is still in the journal under
 * DATA_DIR, the next start delivers it again, and the upload's exact results appear, with nothing half-done left.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// tsx's loader in the server's own process (tsx's CLI would run the server in a child that SIGKILL does not reach).
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let dataDir: string;
const children: ChildProcess[] = [];
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cac-restart-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Starts `npm start`'s server on free ports with DATA_DIR, and returns its endpoints once it has printed them. */
async function npmStart(): Promise<{ child: ChildProcess; api: string; s3: S3Client }> {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, 'scripts/dev-server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', S3_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let printed = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    printed += chunk;
  });
  child.stderr!.resume();
  for (let waited = 0; !/Local S3\s+http/.test(printed); waited += 100) {
    if (waited > 60_000 || child.exitCode !== null) throw new Error(`npm start did not come up:\n${printed}`);
    await sleep(100);
  }
  const api = /API\s+(http:\/\/\S+)/.exec(printed)![1]!;
  const endpoint = /Local S3\s+(http:\/\/\S+)/.exec(printed)![1]!;
  const s3 = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  return { child, api, s3 };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const journal = async (): Promise<string> => readFile(join(dataDir, EVENT_JOURNAL), 'utf8').catch(() => '');

async function expectedPredictions(bytes: Buffer): Promise<string> {
  const classifier = await loadClassifier();
  try {
    return await expectedResults(bytes, classifier);
  } finally {
    await classifier.dispose();
  }
}

describe('kill -9 during an evaluation', () => {
  it('keeps the event: the next start evaluates the upload and writes its exact results, leaving nothing half-done', async () => {
    const body = Buffer.from(syntheticCsv({ rows: 30_000, seed: 9 }));
    const first = await npmStart();
    await first.s3.send(new PutObjectCommand({ Bucket: 'abstracts', Key: 'incoming/killed.csv', Body: body }));
    // The delivery has started (the journal records it before the evaluation begins); let it get well into the file.
    await until('the evaluation to start', async () => ((await journal()).includes('{"receive":') ? true : undefined));
    await sleep(1_500);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    first.s3.destroy();
    expect(await journal()).not.toContain('"done"');

    const second = await npmStart();
    try {
      const predictions = await until('the results', async () => {
        try {
          const object = await second.s3.send(
            new GetObjectCommand({ Bucket: 'abstracts', Key: 'results/killed/predictions.csv' }),
          );
          return await object.Body!.transformToString('utf8');
        } catch {
          return undefined;
        }
      });
      expect(predictions).toBe(await expectedPredictions(body));
      expect((await fetch(`${second.api}/health`)).status).toBe(200);
      // No multipart upload of the killed run, no temporary upload file, no fan-out work left.
      const bucketDir = join(dataDir, 'abstracts');
      expect((await readdir(bucketDir)).filter((name) => name.startsWith('.upload-'))).toEqual([]);
      expect(await readdir(join(bucketDir, '._S3rver_uploads')).catch(() => [])).toEqual([]);
      const fanout = await second.s3.send(new ListObjectsV2Command({ Bucket: 'abstracts', Prefix: 'fanout/' }));
      expect(fanout.Contents ?? []).toEqual([]);
      expect(existsSync(join(dataDir, EVENT_JOURNAL))).toBe(true);
    } finally {
      second.s3.destroy();
    }
  }, 180_000);
});
