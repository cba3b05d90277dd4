/**
 * `npm run bench [-- --only model,linear,api,s3,coldstart,bert] [--no-train] [--load-seconds 10]`
 * Prints the figures the README quotes: the embedded model (training, load, throughput, latency, RSS), the API
 * through the local HTTP server, the S3 path end to end, and the BERT ONNX backend (fp32 vs int8).
 * Every server is on 127.0.0.1 and every loop is bounded.
 */
import { availableParallelism, cpus } from 'node:os';
import { EXIT, parseFlags, runCli, UsageError } from './cli.ts';

const SECTIONS = ['model', 'linear', 'api', 's3', 'coldstart', 'bert'] as const;
const USAGE = `usage: npm run bench -- [--only ${SECTIONS.join(',')}] [--no-train] [--load-seconds N]`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { only: { type: 'string' }, 'no-train': { type: 'boolean', default: false }, 'load-seconds': { type: 'string' } },
    USAGE,
  );
  const only = (values.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim());
  const unknown = only.filter((s) => !(SECTIONS as readonly string[]).includes(s));
  if (unknown.length) throw new UsageError(`unknown section ${unknown.join(', ')}\n${USAGE}`);
  const loadSeconds = Number(values['load-seconds'] ?? 10);
  if (!(loadSeconds > 0 && loadSeconds <= 30)) throw new UsageError('--load-seconds must be in (0, 30]');

  process.stdout.write(
    `bench: node ${process.version}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'})\n`,
  );
  // Each section's modules are loaded when it runs, not before the first one: the model is timed first, in a process
  // that has loaded only what it needs. Loading the other sections' packages (autocannon, the AWS SDK) through tsx
  // detached an ArrayBuffer on the main thread (tsx's CommonJS hook parses each required .js file with es-module-lexer,
  // whose WebAssembly memory grows, and so detaches its old buffer, on a large one). That invalidates V8's
  // ArrayBufferDetaching protector for the thread's isolate for good: from then on every typed-array access checks for
  // a detached buffer, and the model's loops ran slower than in a process that detaches none (templates 16-30 %: README,
  // "Benchmarks"; the Lambda bundles detach none: test/infra/image.test.ts). Under tsx, `node
  // --trace-protector-invalidation` always prints one invalidation, from Node's module-hooks thread; the main thread's
  // was a second one, and test/cli/benchProcess.test.ts fails if the bench's modules bring it back.
  const figures: Record<string, unknown> = {};
  if (only.includes('model')) figures.model = await (await import('./bench/model.ts')).benchModel();
  if (only.includes('linear'))
    figures.linear = await (await import('./bench/linear.ts')).benchLinear({ train: !values['no-train'] });
  if (only.includes('api')) figures.api = await (await import('./bench/api.ts')).benchApi({ loadSeconds });
  if (only.includes('s3')) figures.s3 = await (await import('./bench/s3.ts')).benchS3();
  if (only.includes('coldstart')) figures.coldStart = await (await import('./bench/coldStart.ts')).benchColdStart();
  if (only.includes('bert')) {
    const { benchBert } = await import('./bench-bert.ts');
    figures.bert = await benchBert();
  }
  process.stdout.write(`\n${JSON.stringify(figures)}\n`);
  return EXIT.ok;
}

runCli(import.meta.url, main);
