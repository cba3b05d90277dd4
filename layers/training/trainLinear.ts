import type { FeatureConfig } from '#core/backends/linear/features.ts';
import { decide } from '#core/decision.ts';
import { LABELS } from '#core/labels.ts';
import { type Metrics, MetricsAccumulator } from '#core/metrics.ts';
import { mulberry32 } from '#core/random.ts';
import { type DocCounts, featurizeCorpus } from './corpus.ts';
import { buildDesign, buildVocabulary, type DesignOptions, type Vocabulary } from './design.ts';
import { fitNbLogistic, type NbLogisticModel, predictNbLogistic } from './nbLogistic.ts';
import { scoreThresholds, type Thresholds, tuneThresholds, uniformThresholds } from './thresholds.ts';

export interface TrainConfig {
  features: FeatureConfig;
  minDf: number;
  C: number;
  alpha: number;
  maxIterations: number;
  tolerance: number;
  folds: number;
  seed: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  features: { hashBits: 20, wordNgrams: [1, 2], charNgrams: [3, 5], sublinearTf: true },
  minDf: 2,
  C: 30,
  alpha: 0.1,
  maxIterations: 200,
  tolerance: 1e-5,
  folds: 5,
  seed: 0,
};

export type TrainStage = 'featurize' | 'cv' | 'final';
export type ProgressFn = (stage: TrainStage, done: number, total: number) => void;

export interface CrossValidation {
  folds: number;
  seed: number;
  /** Out-of-fold predictions at a uniform 0.5 threshold. */
  at_0_5: Metrics;
  /**
   * Thresholds for each fold tuned on the other folds' out-of-fold predictions, applied to that fold:
   * the honest estimate of the tuned model.
   */
  cross_fitted: Metrics;
  /** Thresholds tuned on all out-of-fold predictions, scored on the same (slightly optimistic). */
  tuned_in_sample: Metrics;
}

export interface TrainedLinear {
  vocab: Vocabulary;
  model: NbLogisticModel;
  thresholds: Thresholds;
  cv: CrossValidation;
  iterations: { folds: number[]; final: number };
}

/** Shuffled K-fold assignment: fold of each row. */
export function kFoldAssignment(rows: number, folds: number, seed: number): Int32Array {
  const order = Array.from({ length: rows }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const fold = new Int32Array(rows);
  order.forEach((row, position) => {
    fold[row] = position % folds;
  });
  return fold;
}

function labelMatrix(truth: readonly number[][], rows: readonly number[]): Uint8Array {
  const y = new Uint8Array(rows.length * LABELS.length);
  rows.forEach((r, i) => {
    for (const l of truth[r]!) y[i * LABELS.length + l] = 1;
  });
  return y;
}

/** Vocabulary, design and NB-LR of one configuration on the given rows (the unit every CV and final fit uses). */
export function fit(
  docs: readonly DocCounts[],
  truth: readonly number[][],
  rows: number[],
  config: TrainConfig,
): FittedLinear {
  const design: DesignOptions = {
    hashBits: config.features.hashBits,
    minDf: config.minDf,
    sublinearTf: config.features.sublinearTf,
    weighting: config.features.weighting,
    rowScalePower: config.features.rowScalePower,
  };
  const vocab = buildVocabulary(docs, rows, design);
  const X = buildDesign(docs, rows, vocab, design);
  const model = fitNbLogistic(X, labelMatrix(truth, rows), LABELS.length, {
    C: config.C,
    alpha: config.alpha,
    maxIterations: config.maxIterations,
    tolerance: config.tolerance,
  });
  return { vocab, model, design };
}

export interface FittedLinear {
  vocab: Vocabulary;
  model: NbLogisticModel;
  design: DesignOptions;
}

export interface CrossValidationRun {
  cv: CrossValidation;
  thresholds: Thresholds;
  foldIterations: number[];
}

/**
 * K-fold cross-validation of one configuration on pre-featurised documents: out-of-fold probabilities, thresholds
 * tuned on them, and the metrics (at 0.5, cross-fitted, tuned in-sample). Used by training and model selection.
 */
export function crossValidate(
  docs: readonly DocCounts[],
  truth: readonly number[][],
  config: TrainConfig,
  onProgress?: ProgressFn,
): CrossValidationRun {
  const n = docs.length;
  const L = LABELS.length;
  const foldOf = kFoldAssignment(n, config.folds, config.seed);
  const oof = new Float64Array(n * L);
  const foldIterations: number[] = [];
  for (let f = 0; f < config.folds; f++) {
    onProgress?.('cv', f, config.folds);
    const train: number[] = [];
    const held: number[] = [];
    for (let i = 0; i < n; i++) (foldOf[i] === f ? held : train).push(i);
    const { vocab, model, design } = fit(docs, truth, train, config);
    const proba = predictNbLogistic(model, buildDesign(docs, held, vocab, design));
    held.forEach((row, i) => {
      oof.set(proba.subarray(i * L, i * L + L), row * L);
    });
    foldIterations.push(model.iterations);
  }
  onProgress?.('cv', config.folds, config.folds);

  const all = Array.from({ length: n }, (_, i) => i);
  const thresholds = tuneThresholds(oof, truth);
  // Cross-fitted: each fold's rows are decided with thresholds tuned without them.
  const crossFitted = new MetricsAccumulator();
  for (let f = 0; f < config.folds; f++) {
    const fold = tuneThresholds(
      oof,
      truth,
      all.filter((i) => foldOf[i] !== f),
    );
    for (let i = 0; i < n; i++)
      if (foldOf[i] === f) crossFitted.add(truth[i]!, decide(oof.subarray(i * L, i * L + L), fold));
  }
  return {
    thresholds,
    foldIterations,
    cv: {
      folds: config.folds,
      seed: config.seed,
      at_0_5: scoreThresholds(oof, truth, uniformThresholds(0.5)),
      cross_fitted: crossFitted.result(),
      tuned_in_sample: scoreThresholds(oof, truth, thresholds),
    },
  };
}

/**
 * K-fold cross-validation (for honest metrics and threshold tuning), then the final fit on every row.
 * Thresholds are tuned on out-of-fold probabilities only: training rows never judge their own model.
 */
export function trainLinear(
  texts: readonly string[],
  truth: readonly number[][],
  config: TrainConfig,
  onProgress?: ProgressFn,
): TrainedLinear {
  const n = texts.length;
  onProgress?.('featurize', 0, n);
  const docs = featurizeCorpus(texts, config.features, (done) => onProgress?.('featurize', done, n));
  onProgress?.('featurize', n, n);
  const run = crossValidate(docs, truth, config, onProgress);
  const all = Array.from({ length: n }, (_, i) => i);
  onProgress?.('final', 0, 1);
  const final = fit(docs, truth, all, config);
  onProgress?.('final', 1, 1);
  return {
    vocab: final.vocab,
    model: final.model,
    thresholds: run.thresholds,
    cv: run.cv,
    iterations: { folds: run.foldIterations, final: final.model.iterations },
  };
}
