import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { isEntryPoint } from '../entryPoint.ts';
import { startLocalStack } from '../local/localStack.ts';
import { benchCsv, repeatRows } from './data.ts';
import { line, peakRssMb, round } from './stats.ts';

/**
 * The S3 path end to end against the local S3 server: upload → event → evaluate → result objects.
 * With `--rows N --child` it runs alone in a child process so that its peak RSS is the S3 path's own.
 */
export async function benchS3Path(
  rows: number,
): Promise<{ rows: number; seconds: number; rows_per_s: number; peak_rss_mb: number; csv_mb: number }> {
  const { csv } = await benchCsv();
  const body = repeatRows(csv, rows);
  const dataDir = await mkdtemp(join(tmpdir(), 'cac-bench-s3-'));
  const stack = await startLocalStack({ port: 0, s3Port: 0, dataDir, logLevel: 'SILENT' });
  try {
    const started = performance.now();
    await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: 'incoming/bench.csv', Body: body }));
    await stack.idle();
    const seconds = (performance.now() - started) / 1000;
    const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: 'results/bench/' }));
    if (!listed.Contents?.some((o) => o.Key === 'results/bench/predictions.csv'))
      throw new Error('no predictions.csv was written');
    return {
      rows,
      seconds: round(seconds, 2),
      rows_per_s: Math.round(rows / seconds),
      peak_rss_mb: peakRssMb(),
      csv_mb: round(Buffer.byteLength(body) / 1e6, 1),
    };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Runs `benchS3Path(rows)` in a fresh process (its peak RSS then includes the local S3 server, which is conservative). */
export function benchS3PathInChild(rows: number): Promise<Awaited<ReturnType<typeof benchS3Path>>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./s3.ts', import.meta.url)), '--rows', String(rows)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(output) as Awaited<ReturnType<typeof benchS3Path>>)
        : reject(new Error(`S3 bench child exited with ${code}`)),
    );
  });
}

export async function benchS3(): Promise<Record<string, number>> {
  process.stdout.write('\nS3 path end to end (local S3 server, upload → event → evaluate → results)\n');
  const out: Record<string, number> = {};
  for (const rows of [10_000, 100_000]) {
    const r = await benchS3PathInChild(rows);
    out[`s3_${rows}_rows_per_s`] = r.rows_per_s;
    out[`s3_${rows}_peak_rss_mb`] = r.peak_rss_mb;
    line(
      `${rows.toLocaleString('en')} rows (${r.csv_mb} MB): rows/s, peak RSS`,
      `${r.rows_per_s} rows/s in ${r.seconds} s, ${r.peak_rss_mb} MB`,
    );
  }
  return out;
}

if (isEntryPoint(import.meta.url)) {
  const rows = Number(process.argv[process.argv.indexOf('--rows') + 1]);
  benchS3Path(rows).then(
    (r) => process.stdout.write(JSON.stringify(r)),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exit(1);
    },
  );
}
