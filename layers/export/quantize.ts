import type { FloatTensor } from './tensor.ts';

/**
 * Symmetric weight quantization (zero point 0) to 7 bits, range ±64.
 *
 * onnxruntime multiplies uint8 activations by int8 weights. On x86 without VNNI (AVX2, AVX-512 before Cascade Lake)
 * its kernels use vpmaddubsw, which adds each pair of adjacent u8×s8 products into a saturating int16: with full
 * 8-bit weights 2 × 255 × 127 = 64,770 overflows 32,767 and the sum is silently clipped (on this project's AMD EPYC
 * a tiny model's int8 probabilities moved up to 0.15 from fp32). With ±64 the largest pair is 2 × 255 × 64 = 32,640,
 * so no machine saturates; this is what onnxruntime's own quantizer calls `reduce_range`. The exported file runs on
 * whatever CPU Lambda gives it, so the range is the one every CPU computes exactly.
 */
export const WEIGHT_QMAX = 64;

export interface QuantizedWeight {
  /** [in, out], row-major. */
  readonly shape: readonly [number, number];
  readonly data: Int8Array;
  /** One scale per output column, or a single one. */
  readonly scales: Float32Array;
}

/** Per-output-column scales: each neuron keeps its own range, which matters when column norms differ widely. */
export function quantizePerColumn(w: FloatTensor): QuantizedWeight {
  const [rows, cols] = w.shape as [number, number];
  const maxAbs = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(w.data[r * cols + c]!));
  }
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / WEIGHT_QMAX : 1));
  const data = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) data[r * cols + c] = clampRound(w.data[r * cols + c]! / scales[c]!);
  }
  return { shape: [rows, cols], data, scales };
}

/** One scale for the whole matrix (what QAttention's CPU kernel takes for its merged Q/K/V weight). */
export function quantizePerTensor(w: FloatTensor): QuantizedWeight {
  const [rows, cols] = w.shape as [number, number];
  let m = 0;
  for (const v of w.data) m = Math.max(m, Math.abs(v));
  const scale = m > 0 ? m / WEIGHT_QMAX : 1;
  const data = new Int8Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = clampRound(w.data[i]! / Math.fround(scale));
  return { shape: [rows, cols], data, scales: Float32Array.of(scale) };
}

function clampRound(x: number): number {
  // Math.round's tie rule (toward +∞) differs from numpy's, which only matters for exact .5 ratios: deterministic either way.
  const r = Math.round(x);
  return Math.min(WEIGHT_QMAX, Math.max(-WEIGHT_QMAX, r));
}
