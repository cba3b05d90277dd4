import { LABELS } from '#core/labels.ts';
import type { Row } from './row.ts';

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

/**
 * Per block, the sums of value × weight per label: `sums[4b + l]` for block b (0 word, 1 char) and label l. A scratch
 * of `rowLogits` (single-threaded, like the vectorizer whose rows it scores).
 */
const blockSums = new Float64Array(8);

/**
 * The sums per label of the weights of the features `ids[0 .. length)`, into `sums[at .. at + 4)`: a binary block's
 * value × weight sums, since every value is 1 and 1 × w is w exactly (the same sums without the multiplications).
 */
export function presentSums(
  ids: Int32Array,
  length: number,
  weights: ArrayLike<number>,
  sums: Float64Array,
  at: number,
): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let t = 0; t < length; t++) {
    const base = ids[t]! << 2;
    s0 += weights[base]!;
    s1 += weights[base + 1]!;
    s2 += weights[base + 2]!;
    s3 += weights[base + 3]!;
  }
  sums[at] = s0;
  sums[at + 1] = s1;
  sums[at + 2] = s2;
  sums[at + 3] = s3;
}

/** The raw logits (bias + features · weights) of one row, written to `out[offset .. offset + 4)`. */
export function rowLogits(row: Row, model: LinearWeights, out: Float64Array, offset: number): void {
  const { weights } = model;
  for (let b = 0; b < 2; b++) {
    const { ids, raw, length } = row.blocks[b]!;
    if (row.unit) {
      presentSums(ids, length, weights, blockSums, 4 * b);
      continue;
    }
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < length; t++) {
      const base = ids[t]! << 2;
      const v = raw[t]!;
      s0 += v * weights[base]!;
      s1 += v * weights[base + 1]!;
      s2 += v * weights[base + 2]!;
      s3 += v * weights[base + 3]!;
    }
    blockSums[4 * b] = s0;
    blockSums[4 * b + 1] = s1;
    blockSums[4 * b + 2] = s2;
    blockSums[4 * b + 3] = s3;
  }
  logitsOfSums(model, blockSums, row.scales, row.dense, out, offset);
}

/**
 * The raw logits from each block's sums (`sums[4b + l]`, as `rowLogits` adds them), the blocks' scales and the
 * lexicon block's values: bias, then the word block, the char block and the lexicon block, in that order. The one
 * place a row's parts meet, for `rowLogits` and for the vectorizer's fused scoring (layers/model/vectorizer.ts).
 */
export function logitsOfSums(
  model: LinearWeights,
  sums: Float64Array,
  scales: Float64Array,
  denseValues: Float64Array,
  out: Float64Array,
  offset: number,
): void {
  const bias = model.bias;
  let z0 = bias[0]!;
  let z1 = bias[1]!;
  let z2 = bias[2]!;
  let z3 = bias[3]!;
  for (let b = 0; b < 2; b++) {
    const scale = scales[b]!;
    z0 += sums[4 * b]! * scale;
    z1 += sums[4 * b + 1]! * scale;
    z2 += sums[4 * b + 2]! * scale;
    z3 += sums[4 * b + 3]! * scale;
  }
  const dense = model.dense;
  if (dense) {
    for (let k = 0; k < 4; k++) {
      const v = denseValues[k]!;
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
