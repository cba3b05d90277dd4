import type { FloatTensor } from './tensor.ts';

/**
 * Symmetric int8 weight quantization (zero point 0, range ±127): with zero points at 0 the integer kernels skip the
 * zero-point correction for the weights, and ±127 rather than -128 keeps the range symmetric.
 */
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
  const scales = Float32Array.from(maxAbs, (m) => (m > 0 ? m / 127 : 1));
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
  const scale = m > 0 ? m / 127 : 1;
  const data = new Int8Array(rows * cols);
  for (let i = 0; i < data.length; i++) data[i] = clampRound(w.data[i]! / Math.fround(scale));
  return { shape: [rows, cols], data, scales: Float32Array.of(scale) };
}

function clampRound(x: number): number {
  // Math.round's tie rule (toward +∞) differs from numpy's, which only matters for exact .5 ratios: deterministic either way.
  const r = Math.round(x);
  return r > 127 ? 127 : r < -127 ? -127 : r;
}
