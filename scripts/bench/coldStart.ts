/**
 * Cold start of the Lambda bundles, measured the way Lambda pays it: a fresh `node` process per sample, from spawn to
 * the first answered request. The bundles are built exactly as the image builds them (prepareImageContext: minified,
 * source maps beside them), laid out as the image lays them out (task root + MODEL_DIR), and run with the image's
 * defaults (no NODE_OPTIONS). Side by side in one run, round-robin so that machine load hits every variant alike:
 *
 *   empty handler           node + an ES module exporting a handler that answers at once (the floor)
 *   predict                 process start → first answered POST /predict (one text, the embedded model)
 *   … invalid request       the same with a request the schema refuses (400): only then is zod loaded
 *   health                  process start → first answered GET /health (manifest only)
 *   openapi                 process start → first answered GET /openapi.json (loads full zod: the document's source)
 *   evaluate                process start → module loaded (it answers S3 events; loading is its cold start)
 *   … with source maps      the same with NODE_OPTIONS=--enable-source-maps (CDK context sourceMaps=true)
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { prepareImageContext } from '../../infra/image/prepareImage.ts';
import { apiGatewayEvent } from '../fixtures/apiEvents.ts';
import { line, percentile, round } from './stats.ts';

/** Imports a bundle, optionally invokes its handler once with an event file, then says "ready" and exits. */
const RUNNER = `
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const [bundle, eventFile, status = '200'] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);
if (eventFile) {
  const context = { awsRequestId: 'cold-start', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
  const result = await handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
  if (result?.statusCode !== Number(status)) throw new Error('answered ' + JSON.stringify(result).slice(0, 300));
}
process.stdout.write('ready\\n');
`;

const EMPTY_HANDLER = 'export const handler = async () => ({ statusCode: 200, body: "{}" });\n';

interface Variant {
  name: string;
  bundle: string;
  event?: string;
  /** The status the first answer must have (200 unless given). */
  status?: number;
  nodeOptions?: string;
}

/** Milliseconds from spawn to the child's "ready" (the child then exits; the next sample waits for that). */
function sample(runner: string, variant: Variant, env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let readyAt: number | undefined;
    let output = '';
    const args = variant.event ? [variant.event, String(variant.status ?? 200)] : [];
    const child = spawn(process.execPath, [runner, variant.bundle, ...args], {
      env: { ...env, ...(variant.nodeOptions ? { NODE_OPTIONS: variant.nodeOptions } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (readyAt === undefined && output.includes('ready\n')) readyAt = performance.now();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code === 0 && readyAt !== undefined) resolve(readyAt - started);
      else reject(new Error(`${variant.name}: exit ${code}\n${output.slice(-2000)}`));
    });
  });
}

export async function benchColdStart(options: { runs?: number } = {}): Promise<Record<string, number>> {
  const runs = Math.max(10, options.runs ?? 11);
  const work = await mkdtemp(join(tmpdir(), 'cac-cold-'));
  try {
    process.stdout.write(`\nCold start (fresh node per sample, median of ${runs}, bundles as the image builds them)\n`);
    const context = join(work, 'context');
    await prepareImageContext(context, { modelDir: DEFAULT_MODEL_DIR });
    const taskRoot = join(work, 'var', 'task');
    const modelDir = join(work, 'opt', 'model');
    await cp(join(context, 'app'), taskRoot, { recursive: true });
    await cp(join(context, 'model'), modelDir, { recursive: true });
    const runner = join(work, 'runner.mjs');
    await writeFile(runner, RUNNER);
    await writeFile(join(taskRoot, 'empty.mjs'), EMPTY_HANDLER);
    const predictEvent = join(work, 'predict-event.json');
    await writeFile(
      predictEvent,
      JSON.stringify(
        apiGatewayEvent('POST', '/predict', {
          texts: ['Atrial fibrillation and heart failure after coronary artery bypass surgery'],
        }),
      ),
    );
    const invalidEvent = join(work, 'invalid-event.json');
    await writeFile(invalidEvent, JSON.stringify(apiGatewayEvent('POST', '/predict', { texts: ['   ', 7] })));
    const healthEvent = join(work, 'health-event.json');
    await writeFile(healthEvent, JSON.stringify(apiGatewayEvent('GET', '/health')));
    const openApiEvent = join(work, 'openapi-event.json');
    await writeFile(openApiEvent, JSON.stringify(apiGatewayEvent('GET', '/openapi.json')));
    // What Lambda and the image set; nothing else is inherited.
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      LAMBDA_TASK_ROOT: taskRoot,
      MODEL_DIR: modelDir,
      AWS_REGION: 'us-east-1',
      LOG_LEVEL: 'WARN',
      TZ: 'UTC',
    };
    const bundle = (name: string) => join(taskRoot, `${name}.mjs`);
    const maps = '--enable-source-maps';
    const variants: Variant[] = [
      { name: 'empty handler', bundle: bundle('empty'), event: healthEvent },
      { name: 'predict (first answer)', bundle: bundle('predict'), event: predictEvent },
      { name: 'predict, invalid request (400)', bundle: bundle('predict'), event: invalidEvent, status: 400 },
      { name: 'health (first answer)', bundle: bundle('health'), event: healthEvent },
      { name: 'openapi (first answer)', bundle: bundle('health'), event: openApiEvent },
      { name: 'evaluate (module load)', bundle: bundle('evaluate') },
      { name: 'predict, source maps on', bundle: bundle('predict'), event: predictEvent, nodeOptions: maps },
      { name: 'evaluate, source maps on', bundle: bundle('evaluate'), nodeOptions: maps },
    ];
    // One untimed round first: the file cache, not the bundles, would otherwise decide the first sample.
    for (const variant of variants) await sample(runner, variant, env);
    const samples = new Map(variants.map((v) => [v.name, [] as number[]]));
    for (let i = 0; i < runs; i++) {
      for (const variant of variants) samples.get(variant.name)!.push(await sample(runner, variant, env));
    }
    const median = (name: string) => percentile(samples.get(name)!, 50);
    const fastest = (name: string) => Math.min(...samples.get(name)!);
    const empty = median('empty handler');
    const out: Record<string, number> = {};
    line('', 'median (fastest), ratio of medians');
    for (const variant of variants) {
      const ms = median(variant.name);
      line(
        variant.name,
        `${round(ms, 0)} ms (${round(fastest(variant.name), 0)} ms)`,
        `${round(ms / empty, 2)}× empty`,
      );
      const key = variant.name
        .replace(/\(.*\)/, '')
        .replace(/[^a-z]+/g, '_')
        .replace(/_$/, '');
      out[`${key}_ms`] = round(ms, 1);
      out[`${key}_ratio`] = round(ms / empty, 2);
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
