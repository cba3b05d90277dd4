import { LABELS } from '#core/labels.ts';
import { mulberry32, shuffleInPlace } from '#core/random.ts';
import type { VectorizerSettings } from '#model/vectorizer.ts';
import type { DocCounts } from './corpus.ts';
import { buildDesign, buildVocabulary, type DesignOptions, type Vocabulary } from './design.ts';
import { fitNbLogistic, type NbLogisticModel } from './nbLogistic.ts';

/** How one expert is fitted: its vectorizer settings, vocabulary cut-off and NB-LR settings. */
export interface TrainConfig {
  features: VectorizerSettings;
  minDf: number;
  C: number;
  alpha: number;
  maxIterations: number;
  tolerance: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  features: { hashBits: 20, wordNgrams: [1, 2], charNgrams: [3, 5], sublinearTf: true },
  minDf: 2,
  C: 30,
  alpha: 0.1,
  maxIterations: 200,
  tolerance: 1e-5,
};

/** Shuffled K-fold assignment: fold of each row. */
export function kFoldAssignment(rows: number, folds: number, seed: number): Int32Array {
  const order = shuffleInPlace(
    Array.from({ length: rows }, (_, i) => i),
    mulberry32(seed),
  );
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

/** Vocabulary, design and NB-LR of one expert on the given rows (the unit every cross-validation fold and final fit uses). */
export function fit(
  docs: readonly DocCounts[],
  truth: readonly number[][],
  rows: number[],
  config: TrainConfig,
): FittedLinear {
  const design: DesignOptions = { ...config.features, minDf: config.minDf };
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
