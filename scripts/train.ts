/**
 * `npm run train -- --data <csv> --out <dir> [--seeds 0,1,2]`
 * Trains the embedded default model: one linear expert per kind of text (layers/model/router.ts), cross-validated by kind
 * on the given fold seeds, calibrated, then fitted on every row (layers/training/linearModel.ts does the work).
 * Deterministic: the same data and seeds give a byte-identical model folder.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import { InputError } from '#core/errors.ts';
import type { ModelManifest } from '#core/manifest.ts';
import type { ExpertPlan } from '#training/experts.ts';
import { knowledgeFor } from '#training/knowledge.ts';
import { buildLinearModel, refuseNonModelFolder, writeModelFolder } from '#training/linearModel.ts';
import { PLANS, SHIPPED_PLAN } from '#training/plans.ts';
import { EXIT, parseFlags, runCli, UsageError } from './cli.ts';

const USAGE =
  'usage: npm run train -- --data <labelled.csv> --out <model dir> [--seeds 0[,1,2]] [--plan <name> (default: the shipped plan)]';
// One fold seed keeps training under five minutes; scripts/select-model.ts reports the three-seed means.
export const DEFAULT_SEEDS = [0] as const;

async function codeVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export interface TrainOptions {
  plan?: ExpertPlan;
  seeds?: readonly number[];
  folds?: number;
}

export async function train(dataPath: string, outDir: string, options: TrainOptions = {}): Promise<ModelManifest> {
  const folds = options.folds ?? 5;
  // Refuse before minutes of training, not after.
  await refuseNonModelFolder(outDir);
  let raw: Buffer;
  try {
    raw = await readFile(dataPath);
  } catch {
    throw new InputError('no_input', `cannot read training data ${dataPath}`);
  }
  const csv = await openCsv(createReadStream(dataPath));
  const rows = await readLabelledRecords(csv.records, csv.header);
  if (rows.texts.length < folds * 2)
    throw new InputError('too_few_rows', `need at least ${folds * 2} labelled rows, found ${rows.texts.length}`);
  const plan = options.plan ?? SHIPPED_PLAN;
  const { data, lexicon, background } = knowledgeFor(rows, plan);
  const built = buildLinearModel(
    data,
    {
      dataFile: basename(dataPath),
      dataSha256: createHash('sha256').update(raw).digest('hex'),
      codeVersion: await codeVersion(),
      trainer: 'scripts/train.ts',
      ...(background ? { background } : {}),
    },
    {
      plan,
      ...(lexicon ? { lexicon } : {}),
      seeds: options.seeds ?? DEFAULT_SEEDS,
      folds,
      onProgress: (stage, detail) => process.stderr.write(`${stage}: ${detail}\n`),
    },
  );
  await writeModelFolder(outDir, built.files);
  const metrics = built.manifest.metrics as {
    by_kind: Record<string, { weighted_f1: number }>;
    ece: { after: Record<string, number> };
  };
  const bytes = [...built.files.values()].reduce((s, b) => s + b.length, 0);
  process.stderr.write(
    `trained on ${data.texts.length} rows in ${built.seconds.toFixed(1)} s; cross-validated weighted F1 by kind: ` +
      `${Object.entries(metrics.by_kind)
        .map(([k, v]) => `${k} ${v.weighted_f1.toFixed(4)}`)
        .join(', ')}; ` +
      `ECE ${metrics.ece.after.all?.toFixed(4)}; ${(bytes / 1e6).toFixed(1)} MB → ${outDir}\n`,
  );
  return built.manifest;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    { data: { type: 'string' }, out: { type: 'string' }, seeds: { type: 'string' }, plan: { type: 'string' } },
    USAGE,
  );
  if (!values.data || !values.out) throw new UsageError(`--data and --out are required\n${USAGE}`);
  const seeds = values.seeds === undefined ? DEFAULT_SEEDS : values.seeds.split(',').map(Number);
  if (seeds.length === 0 || !seeds.every(Number.isInteger))
    throw new UsageError(`--seeds must be a comma-separated list of integers\n${USAGE}`);
  const plan = values.plan === undefined ? SHIPPED_PLAN : PLANS[values.plan];
  if (!plan)
    throw new UsageError(`unknown plan ${JSON.stringify(values.plan)}; plans: ${Object.keys(PLANS).join(', ')}`);
  await train(resolve(values.data), resolve(values.out), { seeds, plan });
  return EXIT.ok;
}

runCli(import.meta.url, main);
