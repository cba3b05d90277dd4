/**
 * `npm run train -- --data <csv> --out <dir> [--seed N]`
 * Trains the embedded default model (hashed TF-IDF + NB-weighted logistic regression per label) with 5-fold
 * cross-validation for metrics and thresholds, then the final fit on all rows. Deterministic: the same data
 * and seed give a byte-identical model folder.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { encodeWeights, type LinearConfig } from '#core/backends/linear.ts';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import { InputError } from '#core/errors.ts';
import { LABELS } from '#core/labels.ts';
import { manifestSchema, type ModelManifest } from '#core/manifest.ts';
import { DEFAULT_TRAIN_CONFIG, trainLinear, type TrainConfig, type TrainStage } from '../layers/training/trainLinear.ts';
import { EXIT, parseFlags, runCli, UsageError } from './cli.ts';

const USAGE = 'usage: npm run train -- --data <labelled.csv> --out <model dir> [--seed N]';
const MODEL_NAME = 'nb-logreg-tfidf';
const WEIGHTS_FILE = 'weights.bin';

async function codeVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function progress(): (stage: TrainStage, done: number, total: number) => void {
  if (!process.stderr.isTTY) {
    return (stage, done, total) => {
      if (stage !== 'featurize' && done < total) process.stderr.write(`${stage === 'cv' ? `fold ${done + 1}/${total}` : 'final fit'}…\n`);
    };
  }
  const bars = new cliProgress.MultiBar({ format: '{stage} {bar} {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  const made = new Map<TrainStage, cliProgress.SingleBar>();
  const names: Record<TrainStage, string> = { featurize: 'features   ', cv: 'cv folds   ', final: 'final fit  ' };
  return (stage, done, total) => {
    let bar = made.get(stage);
    if (!bar) made.set(stage, (bar = bars.create(total, 0, { stage: names[stage] })));
    bar.update(done);
    if (stage === 'final' && done === total) bars.stop();
  };
}

export async function train(dataPath: string, outDir: string, config: TrainConfig): Promise<ModelManifest> {
  await refuseNonModelFolder(outDir);
  let raw: Buffer;
  try {
    raw = await readFile(dataPath);
  } catch {
    throw new InputError('no_input', `cannot read training data ${dataPath}`);
  }
  const csv = await openCsv(createReadStream(dataPath));
  const { texts, truth } = await readLabelledRecords(csv.records, csv.header);
  if (texts.length < config.folds * 2) throw new InputError('too_few_rows', `need at least ${config.folds * 2} labelled rows, found ${texts.length}`);

  const started = performance.now();
  const trained = trainLinear(texts, truth, config, progress());
  const seconds = (performance.now() - started) / 1000;

  const weights = encodeWeights(
    Int32Array.from(trained.vocab.buckets),
    trained.vocab.idf,
    trained.model.weights,
  );
  const weightsSha256 = createHash('sha256').update(weights).digest('hex');
  const version = `${await codeVersion()}+${weightsSha256.slice(0, 12)}`;
  const backendConfig: LinearConfig = {
    features: config.features,
    weightsFile: WEIGHTS_FILE,
    buckets: trained.vocab.buckets.length,
    bias: Array.from(trained.model.bias),
    weightsSha256,
  };
  const manifest = manifestSchema.parse({
    name: MODEL_NAME,
    version,
    backend: 'linear',
    labels: [...LABELS],
    thresholds: trained.thresholds,
    text: { recipe: 'title + " " + abstract', normalization: 'NFKC', lowercase: true },
    backendConfig: {
      ...backendConfig,
      training: {
        solver: 'L-BFGS, L2-regularised logistic loss on NB-scaled TF-IDF, intercept unpenalised',
        C: config.C,
        nbAlpha: config.alpha,
        minDf: config.minDf,
        maxIterations: config.maxIterations,
        tolerance: config.tolerance,
        iterations: trained.iterations,
      },
    },
    metrics: {
      headline: 'weighted F1, 5-fold cross-validation, thresholds cross-fitted',
      weighted_f1: trained.cv.cross_fitted.weighted.f1,
      cv: trained.cv,
    },
    provenance: {
      data: { file: basename(dataPath), sha256: createHash('sha256').update(raw).digest('hex'), rows: texts.length },
      code_version: await codeVersion(),
      seed: config.seed,
      trainer: 'scripts/train.ts',
    },
  });

  // Write into a sibling folder and swap, so a failed run never leaves a half-written model behind.
  const staging = `${outDir.replace(/\/$/, '')}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, WEIGHTS_FILE), weights);
  await writeFile(join(staging, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);
  process.stderr.write(
    `trained on ${texts.length} rows in ${seconds.toFixed(1)} s; cross-validated weighted F1 ${trained.cv.cross_fitted.weighted.f1.toFixed(4)} ` +
      `(at 0.5: ${trained.cv.at_0_5.weighted.f1.toFixed(4)}); ${trained.vocab.buckets.length} features, ${(weights.length / 1e6).toFixed(1)} MB → ${outDir}\n`,
  );
  return manifest;
}

/** `--out` replaces a model folder; it must never wipe another folder (a typo such as `--out layers/models`). */
async function refuseNonModelFolder(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  if (entries.length > 0 && !entries.includes('model.json')) {
    throw new UsageError(`--out ${dir} exists and is not a model folder (no model.json): refusing to replace it`);
  }
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { data: { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' } }, USAGE);
  if (!values.data || !values.out) throw new UsageError(`--data and --out are required\n${USAGE}`);
  const seed = values.seed === undefined ? DEFAULT_TRAIN_CONFIG.seed : Number(values.seed);
  if (!Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  await train(resolve(values.data), resolve(values.out), { ...DEFAULT_TRAIN_CONFIG, seed });
  return EXIT.ok;
}

runCli(import.meta.url, main);
