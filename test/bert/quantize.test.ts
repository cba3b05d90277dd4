import { describe, expect, it } from 'vitest';
import { quantizePerColumn, quantizePerTensor } from '#export/quantize.ts';
import { SeededRandom } from '#export/rng.ts';
import type { FloatTensor } from '#export/tensor.ts';

/** onnxruntime's u8 × s8 kernels on x86 without VNNI add two adjacent products into a saturating int16. */
const INT16_MAX = 32_767;
const UINT8_MAX = 255;

function randomMatrix(rows: number, cols: number, seed: number): FloatTensor {
  const rng = new SeededRandom(seed);
  // Columns of very different norms, and one outlier, as trained BERT weights have.
  const data = Float32Array.from({ length: rows * cols }, (_, i) => (rng.next() - 0.5) * (1 + (i % cols)));
  data[7] = 40;
  return { shape: [rows, cols], data };
}

describe('int8 weight quantization', () => {
  for (const [name, quantize] of [
    ['per column', quantizePerColumn],
    ['per tensor', quantizePerTensor],
  ] as const) {
    it(`keeps weights small enough that no pair of u8 × s8 products saturates int16 (${name})`, () => {
      const q = quantize(randomMatrix(48, 16, 3));
      const largest = Math.max(...Array.from(q.data, Math.abs));
      expect(2 * UINT8_MAX * largest).toBeLessThanOrEqual(INT16_MAX);
    });

    it(`reconstructs every weight within half a quantization step (${name})`, () => {
      const w = randomMatrix(48, 16, 4);
      const q = quantize(w);
      const cols = w.shape[1]!;
      w.data.forEach((v, i) => {
        const scale = q.scales.length === 1 ? q.scales[0]! : q.scales[i % cols]!;
        expect(Math.abs(q.data[i]! * scale - v)).toBeLessThanOrEqual(scale / 2 + 1e-6);
      });
    });
  }
});
