import { LABELS } from '#core/labels.ts';
import type { Row } from './vectorizer.ts';

/**
 * The linear estimator: one weight per feature and label (the effective NB-LR weights w∘r, feature-major, labels
 * interleaved) and a bias per label. It knows nothing of text: it scores a row (layers/model/vectorizer.ts).
 * Fitting lives in layers/training/nbLogistic.ts; this is what a fitted model carries and how it predicts.
 */
export interface LinearWeights {
  /** `features × LABELS.length`: the weight of feature j for label l at j * L + l. */
  weights: ArrayLike<number>;
  bias: ArrayLike<number>;
  /** The lexicon block's weights, `LABELS.length` features × `LABELS.length` labels (absent: no lexicon block). */
  dense?: ArrayLike<number>;
}

// Unrolled for the four labels: this loop is the whole cost of scoring once the n-grams are looked up.
if (LABELS.length !== 4) throw new Error('the estimator is written for four labels');

/** The raw logits (bias + features · weights) of one row, written to `out[offset .. offset + 4)`. */
export function rowLogits(row: Row, model: LinearWeights, out: Float64Array, offset: number): void {
  const { weights, bias } = model;
  let z0 = bias[0]!;
  let z1 = bias[1]!;
  let z2 = bias[2]!;
  let z3 = bias[3]!;
  for (let b = 0; b < 2; b++) {
    const { ids, raw, length } = row.blocks[b]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    if (row.unit) {
      // Every value is 1, and 1 × w is w exactly: the same sums without the multiplications.
      for (let t = 0; t < length; t++) {
        const base = ids[t]! << 2;
        s0 += weights[base]!;
        s1 += weights[base + 1]!;
        s2 += weights[base + 2]!;
        s3 += weights[base + 3]!;
      }
    } else {
      for (let t = 0; t < length; t++) {
        const base = ids[t]! << 2;
        const v = raw[t]!;
        s0 += v * weights[base]!;
        s1 += v * weights[base + 1]!;
        s2 += v * weights[base + 2]!;
        s3 += v * weights[base + 3]!;
      }
    }
    const scale = row.scales[b]!;
    z0 += s0 * scale;
    z1 += s1 * scale;
    z2 += s2 * scale;
    z3 += s3 * scale;
  }
  const dense = model.dense;
  if (dense) {
    for (let k = 0; k < 4; k++) {
      const v = row.dense[k]!;
      z0 += v * dense[k * 4]!;
      z1 += v * dense[k * 4 + 1]!;
      z2 += v * dense[k * 4 + 2]!;
      z3 += v * dense[k * 4 + 3]!;
    }
  }
  out[offset] = z0;
  out[offset + 1] = z1;
  out[offset + 2] = z2;
  out[offset + 3] = z3;
}
