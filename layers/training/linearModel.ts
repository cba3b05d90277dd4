import { createHash } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_CONFIDENCE_RULE } from '#core/confidence.ts';
import { ConfigError } from '#core/errors.ts';
import { FINGERPRINTS_FILE, trainingFingerprints } from '#core/inSample.ts';
import { LABELS, type LabelName } from '#core/labels.ts';
import { type ModelManifest, manifestSchema } from '#core/manifestSchema.ts';
import { LEXICON_INDEX_FILE, Lexicon, type LexiconFile } from '#model/lexicon.ts';
import { LEXICON_FILE, type LinearConfig } from '#model/linearModel.ts';
import type { TextKind } from '#model/router.ts';
import { encodeWeights, WEIGHTS_LAYOUT } from '#model/weightsFile.ts';
import {
  buildSamples,
  chooseThresholds,
  crossValidateExperts,
  type ExpertPlan,
  type ExpertSpec,
  estimatorOf,
  fitExperts,
  GROUPS,
  type GroupFigures,
  type GroupName,
  type KindsCrossValidation,
  type Sample,
  SampleFeatures,
  type TrainingData,
  trainsOn,
  truthOfRows,
} from './experts.ts';
import { inScopeFigures } from './scopeFigures.ts';

/**
 * Builds the embedded model's folder (model.json + one weights file per expert) from labelled rows: cross-validation
 * by kind on several fold seeds (figures, calibration error, the threshold decision), Platt calibration fitted on the
 * first seed's out-of-fold logits, then every expert fitted on all its samples. Deterministic: the same rows, plan
 * and seeds give byte-identical files.
 */

export const MODEL_NAME = 'nb-logreg-experts';
/** An expert needs at least this many training samples; a kind with fewer is answered by the real expert. */
export const MIN_EXPERT_SAMPLES = 20;

export type BuildStage = 'featurize' | 'cv' | 'final';
export type BuildProgress = (stage: BuildStage, detail: string) => void;

export interface BuildOptions {
  plan: ExpertPlan;
  /** The medical lexicon, when an expert's features use it (layers/training/lexiconBuild.ts builds it). */
  lexicon?: LexiconFile;
  /** Fold seeds of the cross-validation; the first one's out-of-fold logits fit the calibration. */
  seeds: readonly number[];
  folds: number;
  onProgress?: BuildProgress;
}

export interface Provenance {
  dataFile: string;
  dataSha256: string;
  /** Where the background texts come from (layers/training/background.ts). */
  background?: string;
  codeVersion: string;
  trainer: string;
}

export interface BuiltModel {
  manifest: ModelManifest;
  /** File name → bytes, model.json included. */
  files: Map<string, Buffer>;
  seconds: number;
}

/**
 * Kinds whose expert would see too few samples (a data set without templates, say) are answered by the real expert,
 * so training on other data still gives a working model; model.json says which kinds were merged and why.
 */
export function adaptPlan(
  plan: ExpertPlan,
  samples: readonly Sample[],
): { plan: ExpertPlan; merged: { kind: TextKind; samples: number }[] } {
  const count = (spec: ExpertSpec) => samples.filter((s) => trainsOn(spec, s)).length;
  const keep: ExpertSpec[] = [];
  const merged: { kind: TextKind; samples: number }[] = [];
  for (const spec of plan.experts) {
    const n = count(spec);
    if (n >= MIN_EXPERT_SAMPLES || spec.kinds.includes('real')) keep.push({ ...spec, kinds: [...spec.kinds] });
    else for (const kind of spec.kinds) merged.push({ kind, samples: n });
  }
  const real = keep.find((e) => e.kinds.includes('real'));
  if (!real) throw new RangeError('the plan has no expert for real abstracts');
  (real.kinds as TextKind[]).push(...merged.map((m) => m.kind));
  return { plan: { ...plan, experts: keep }, merged };
}

const meanOf = (
  runs: readonly KindsCrossValidation[],
  pick: (cv: KindsCrossValidation) => number | undefined,
): number | undefined => {
  const values = runs.map(pick).filter((v): v is number => v !== undefined);
  return values.length === runs.length ? values.reduce((s, v) => s + v, 0) / values.length : undefined;
};

const round = (x: number): number => Math.round(x * 1e6) / 1e6;

function summary(
  runs: readonly KindsCrossValidation[],
  pick: (cv: KindsCrossValidation) => Partial<Record<GroupName, GroupFigures>>,
) {
  const out: Partial<Record<GroupName, { n: number; weighted_f1: number; micro_f1: number; macro_f1: number }>> = {};
  for (const g of GROUPS) {
    const w = meanOf(runs, (cv) => pick(cv)[g]?.weighted_f1);
    if (w === undefined) continue;
    out[g] = {
      n: pick(runs[0]!)[g]!.n,
      weighted_f1: round(w),
      micro_f1: round(meanOf(runs, (cv) => pick(cv)[g]?.micro_f1)!),
      macro_f1: round(meanOf(runs, (cv) => pick(cv)[g]?.macro_f1)!),
    };
  }
  return out;
}

function eceSummary(runs: readonly KindsCrossValidation[], which: 'before' | 'after') {
  const out: Partial<Record<GroupName, number>> = {};
  for (const g of GROUPS) {
    const v = meanOf(runs, (cv) => cv.ece[which][g]);
    if (v !== undefined) out[g] = round(v);
  }
  return out;
}

/** Shares rounded as the other figures are (model.json stays readable and stable). */
const roundedShares = (figures: Record<string, object>) =>
  Object.fromEntries(
    Object.entries(figures).map(([group, f]) => [
      group,
      Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Number.isInteger(v) ? v : round(v)])),
    ]),
  );

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export function buildLinearModel(data: TrainingData, provenance: Provenance, options: BuildOptions): BuiltModel {
  const started = performance.now();
  const { folds, seeds, onProgress } = options;
  const samples = buildSamples(data, options.plan.router);
  const { plan, merged } = adaptPlan(options.plan, samples);
  const usesLexicon = plan.experts.some((e) => e.config.features.lexicon);
  if (usesLexicon && !options.lexicon) throw new RangeError('the plan uses the lexicon; give BuildOptions.lexicon');
  const lexicon = usesLexicon ? Lexicon.fromFile(options.lexicon!) : undefined;
  onProgress?.('featurize', `${samples.length} samples`);
  const features = new SampleFeatures(samples, lexicon);
  const truth = truthOfRows(data);
  const runs = seeds.map((seed) =>
    crossValidateExperts(samples, features, truth, plan, folds, seed, {
      onProgress: (e, f, n) =>
        onProgress?.('cv', `seed ${seed}: ${plan.experts[e]!.kinds.join('+')} expert, fold ${f + 1}/${n}`),
    }),
  );
  const cvs = runs.map((r) => r.cv);
  const { thresholds, tuned } = chooseThresholds(cvs, runs[0]!.tunedThresholds);
  onProgress?.('final', 'fitting every expert on all its samples');
  const trained = fitExperts(samples, features, truth, plan, runs[0]!.calibration);

  const files = new Map<string, Buffer>();
  // The page, the CLI and the reports warn when a file evaluated is (mostly) this model's training data.
  files.set(FINGERPRINTS_FILE, Buffer.from(trainingFingerprints(data.texts)));
  let lexiconEntry: LinearConfig['lexicon'];
  if (lexicon) {
    const file = options.lexicon!;
    const bytes = Buffer.from(`${JSON.stringify(file, null, 1)}\n`);
    const index = lexicon.encodeIndex();
    files.set(LEXICON_FILE, bytes);
    files.set(LEXICON_INDEX_FILE, index);
    lexiconEntry = {
      file: LEXICON_FILE,
      sha256: sha256(bytes),
      // What serving reads: the matcher's tables as stored (the terms are in `file`, for people and for training).
      index: { file: LEXICON_INDEX_FILE, sha256: sha256(index) },
      source: file.source,
      seeds: Object.fromEntries(LABELS.map((l) => [l, file.seeds[l].map((s) => s.synset)])) as Record<
        LabelName,
        string[]
      >,
      terms: Object.fromEntries(LABELS.map((l) => [l, file.terms[l].length])) as Record<LabelName, number>,
    };
  }
  const experts: LinearConfig['experts'] = trained.map((t) => {
    const name = `weights-${t.spec.kinds[0]}.bin`;
    const features = t.spec.config.features;
    const estimator = estimatorOf(t.fitted);
    const weights = encodeWeights(
      t.fitted.vocab.buckets,
      features.hashBits,
      features.weighting === 'binary' ? undefined : t.fitted.vocab.idf,
      estimator.weights,
    );
    files.set(name, weights);
    return {
      kinds: [...t.spec.kinds],
      features,
      weightsFile: name,
      weightsLayout: WEIGHTS_LAYOUT,
      buckets: t.fitted.vocab.buckets.length,
      bias: Array.from(t.fitted.model.bias),
      ...(estimator.dense ? { lexiconWeights: Array.from(estimator.dense) } : {}),
      weightsSha256: sha256(weights),
      calibration: { a: t.calibration.map((p) => p.a), b: t.calibration.map((p) => p.b) },
      training: {
        solver:
          'L-BFGS, L2-regularised logistic loss on NB-scaled features, intercept unpenalised; Platt scaling per label on out-of-fold logits',
        trainedOn: {
          rows: t.spec.trainOn.rows,
          ...(t.spec.trainOn.snippets ? { snippets: t.spec.trainOn.snippets } : {}),
          samples: samples.filter((s) => trainsOn(t.spec, s)).length,
        },
        C: t.spec.config.C,
        nbAlpha: t.spec.config.alpha,
        minDf: t.spec.config.minDf,
        maxIterations: t.spec.config.maxIterations,
        tolerance: t.spec.config.tolerance,
        iterations: { folds: runs[0]!.foldIterations[plan.experts.indexOf(t.spec)], final: t.fitted.model.iterations },
      },
    };
  });
  const byKind = summary(cvs, (cv) => cv.calibrated_at_0_5);
  const weightsDigest = sha256(Buffer.concat([...files.values()]));
  const manifest = manifestSchema.parse({
    name: MODEL_NAME,
    version: `${provenance.codeVersion}+${weightsDigest.slice(0, 12)}`,
    backend: 'linear',
    labels: [...LABELS],
    thresholds,
    text: { recipe: 'title + " " + abstract', normalization: 'NFKC', lowercase: true },
    router: plan.router,
    confidence: DEFAULT_CONFIDENCE_RULE,
    backendConfig: {
      experts,
      ...(lexiconEntry ? { lexicon: lexiconEntry } : {}),
      ...(plan.scope ? { scope: plan.scope } : {}),
      ...(merged.length > 0
        ? {
            mergedIntoReal: merged.map((m) => ({
              kind: m.kind,
              reason: `only ${m.samples} training samples (< ${MIN_EXPERT_SAMPLES})`,
            })),
          }
        : {}),
    },
    metrics: {
      headline: `weighted F1 on all rows, ${folds}-fold cross-validation by kind, mean of fold seeds ${seeds.join(', ')}, calibrated, ${tuned ? 'thresholds tuned (cross-fitted)' : 'threshold 0.5'}`,
      weighted_f1: (tuned ? summary(cvs, (cv) => cv.calibrated_tuned) : byKind).all?.weighted_f1,
      by_kind: byKind,
      by_kind_tuned_thresholds: summary(cvs, (cv) => cv.calibrated_tuned),
      by_kind_uncalibrated: summary(cvs, (cv) => cv.raw_at_0_5),
      ece: { bins: 10, before: eceSummary(cvs, 'before'), after: eceSummary(cvs, 'after') },
      // The confidence rule on the first seed's out-of-fold answers: shares per level, and how often `high` is right.
      confidence: roundedShares(inScopeFigures(samples, truth, runs[0]!, DEFAULT_CONFIDENCE_RULE)),
      thresholds: tuned
        ? 'tuned on calibrated out-of-fold probabilities (beat 0.5 by more than noise)'
        : '0.5 (tuning did not beat it by more than noise)',
      cv: {
        folds,
        seeds: [...seeds],
        samples: { rows: data.texts.length, derived_snippets: samples.length - data.texts.length },
      },
    },
    provenance: {
      data: { file: provenance.dataFile, sha256: provenance.dataSha256, rows: data.texts.length },
      ...(data.background.length > 0
        ? { background: { texts: data.background.length, source: provenance.background ?? 'given' } }
        : {}),
      code_version: provenance.codeVersion,
      seeds: [...seeds],
      trainer: provenance.trainer,
    },
  });
  files.set('model.json', Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
  return { manifest, files, seconds: (performance.now() - started) / 1000 };
}

/** `--out` replaces a model folder; it must never wipe another folder (a typo such as `--out layers/models`). */
export async function refuseNonModelFolder(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  if (entries.length > 0 && !entries.includes('model.json')) {
    throw new ConfigError('--out', `${dir} exists and is not a model folder (no model.json): refusing to replace it`);
  }
}

/** Writes into a sibling folder and swaps, so a failed run never leaves a half-written model behind. */
export async function writeModelFolder(outDir: string, files: ReadonlyMap<string, Buffer>): Promise<void> {
  await refuseNonModelFolder(outDir);
  const staging = `${outDir.replace(/\/$/, '')}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(staging, name), bytes);
  await rm(outDir, { recursive: true, force: true });
  await rename(staging, outDir);
}
