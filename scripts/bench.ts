/**
 * `npm run bench [-- --only linear,api,s3,bert] [--no-train] [--load-seconds 10]`
 * Prints the figures the README quotes: the embedded model (training, load, throughput, latency, RSS), the API
 * through the local HTTP server, the S3 path end to end, and the BERT ONNX backend (fp32 vs int8).
 * Every server is on 127.0.0.1 and every loop is bounded.
 */
import { availableParallelism, cpus } from 'node:os';
import { benchApi } from './bench/api.ts';
import { benchLinear } from './bench/linear.ts';
import { benchModel } from './bench/model.ts';
import { benchS3 } from './bench/s3.ts';
import { EXIT, parseFlags, runCli, UsageError } from './cli.ts';

const SECTIONS = ['model', 'linear', 'api', 's3', 'bert'] as const;
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
  const figures: Record<string, unknown> = {};
  if (only.includes('model')) figures.model = await benchModel();
  if (only.includes('linear')) figures.linear = await benchLinear({ train: !values['no-train'] });
  if (only.includes('api')) figures.api = await benchApi({ loadSeconds });
  if (only.includes('s3')) figures.s3 = await benchS3();
  if (only.includes('bert')) {
    const { benchBert } = await import('./bench-bert.ts');
    figures.bert = await benchBert();
  }
  process.stdout.write(`\n${JSON.stringify(figures)}\n`);
  return EXIT.ok;
}

runCli(import.meta.url, main);
