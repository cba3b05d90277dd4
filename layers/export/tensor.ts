/** A float32 tensor as checkpoints and the exporter exchange it: row-major data plus its shape. */
export interface FloatTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export type TensorMap = Map<string, FloatTensor>;

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major [rows, cols] → [cols, rows]: PyTorch's Linear stores [out, in]; ONNX MatMul wants [in, out]. */
export function transpose2d(t: FloatTensor): FloatTensor {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[base + c]!;
  }
  return { shape: [cols, rows], data: out };
}
