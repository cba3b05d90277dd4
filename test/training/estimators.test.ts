import { describe, expect, it } from 'vitest';
import { LABELS } from '#core/labels.ts';
import { mulberry32 } from '#core/random.ts';
import { fitPlatt, IDENTITY_PLATT } from '#model/calibrator.ts';
import type { CsrMatrix } from '#training/design.ts';
import { fitNbLogistic, nbRatios } from '#training/nbLogistic.ts';
import { scoreThresholds, tuneThresholds, uniformThresholds } from '#training/thresholds.ts';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('Platt scaling', () => {
  it('recovers the slope and offset of logits drawn from a known logistic model', () => {
    const random = mulberry32(3);
    const z: number[] = [];
    const y: boolean[] = [];
    for (let i = 0; i < 40_000; i++) {
      const x = -4 + 8 * random();
      z.push(x);
      y.push(random() < sigmoid(2 * x - 1));
    }
    const { a, b } = fitPlatt(z, y);
    expect(a).toBeGreaterThan(1.9);
    expect(a).toBeLessThan(2.1);
    expect(b).toBeGreaterThan(-1.1);
    expect(b).toBeLessThan(-0.9);
  });

  it('stays finite on separable logits (smoothed targets) and is the identity when one class is absent', () => {
    const separable = fitPlatt([-3, -2, -1, 1, 2, 3], [false, false, false, true, true, true]);
    expect(Number.isFinite(separable.a) && separable.a > 0 && separable.a < 20).toBe(true);
    expect(fitPlatt([1, 2, 3], [true, true, true])).toEqual(IDENTITY_PLATT);
    expect(fitPlatt([], [])).toEqual(IDENTITY_PLATT);
  });
});

describe('threshold tuning', () => {
  it('finds a per-label threshold that separates a label whose positives score low, and leaves the others at 0.5', () => {
    // Label 0: positives at 0.30–0.39, negatives at 0.05–0.20; labels 1–3 are already right at 0.5.
    const rows = 40;
    const proba = new Float64Array(rows * LABELS.length);
    const truth: number[][] = [];
    for (let i = 0; i < rows; i++) {
      const positive = i % 2 === 0;
      proba[i * 4] = positive ? 0.3 + (i % 10) / 100 : 0.05 + (i % 16) / 100;
      proba[i * 4 + 1] = 0.9;
      proba[i * 4 + 2] = 0.1;
      proba[i * 4 + 3] = 0.1;
      truth.push(positive ? [0, 1] : [1]);
    }
    expect(scoreThresholds(proba, truth, uniformThresholds(0.5)).weighted.f1).toBeLessThan(1);
    const tuned = tuneThresholds(proba, truth);
    expect(tuned.cardiovascular).toBeGreaterThan(0.2);
    expect(tuned.cardiovascular).toBeLessThanOrEqual(0.3);
    expect([tuned.hepatorenal, tuned.neurological, tuned.oncological]).toEqual([0.5, 0.5, 0.5]);
    expect(scoreThresholds(proba, truth, tuned).weighted.f1).toBe(1);
  });
});

/** Rows of (feature, value) pairs as a CSR matrix. */
function csr(rows: [number, number][][], cols: number): CsrMatrix {
  const indptr = new Int32Array(rows.length + 1);
  const indices: number[] = [];
  const values: number[] = [];
  rows.forEach((row, r) => {
    for (const [j, v] of row) {
      indices.push(j);
      values.push(v);
    }
    indptr[r + 1] = indices.length;
  });
  return { rows: rows.length, cols, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
}

describe('NB-weighted logistic regression', () => {
  it('scales features by the smoothed log-ratio of their sums over positive and negative rows', () => {
    const X = csr(
      [
        [
          [0, 1],
          [1, 2],
        ],
        [[1, 1]],
      ],
      2,
    );
    // Row 0 is positive for every label, row 1 negative.
    const y = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]);
    const r = nbRatios(X, y, 4, 0.5);
    // p = (1.5, 2.5), q = (0.5, 1.5): r_j = ln(p_j / 4) − ln(q_j / 2).
    expect(r[0]).toBeCloseTo(Math.log(1.5 / 4) - Math.log(0.5 / 2), 12);
    expect(r[4]).toBeCloseTo(Math.log(2.5 / 4) - Math.log(1.5 / 2), 12);
  });

  it('reaches the optimum of its objective: C·Σ log-loss + ½‖w‖², gradient ≈ 0, and classifies its training rows', () => {
    // Four features, one per label, plus a shared noise feature; each row carries its label's feature.
    const random = mulberry32(5);
    const rows: [number, number][][] = [];
    const labels: number[] = [];
    for (let i = 0; i < 80; i++) {
      const label = i % 4;
      rows.push([
        [label, 1],
        [4, random()],
      ]);
      labels.push(label);
    }
    const X = csr(rows, 5);
    const y = new Uint8Array(80 * 4);
    labels.forEach((label, i) => {
      y[i * 4 + label] = 1;
    });
    const options = { C: 3, alpha: 0.1, maxIterations: 500, tolerance: 1e-7 };
    const model = fitNbLogistic(X, y, 4, options);
    expect(model.converged).toBe(true);
    const r = nbRatios(X, y, 4, options.alpha);
    // Gradient of the objective in w (effective weights are w∘r), computed here independently of the solver.
    const grad = new Float64Array(5 * 4);
    const gradBias = new Float64Array(4);
    for (let i = 0; i < 80; i++) {
      for (let l = 0; l < 4; l++) {
        let z = model.bias[l]!;
        for (let k = X.indptr[i]!; k < X.indptr[i + 1]!; k++) z += X.values[k]! * model.weights[X.indices[k]! * 4 + l]!;
        const residual = options.C * (sigmoid(z) - y[i * 4 + l]!);
        gradBias[l]! += residual;
        for (let k = X.indptr[i]!; k < X.indptr[i + 1]!; k++)
          grad[X.indices[k]! * 4 + l]! += residual * X.values[k]! * r[X.indices[k]! * 4 + l]!;
        if (i % 4 === l) expect(z).toBeGreaterThan(0);
        else expect(z).toBeLessThan(0);
      }
    }
    for (let j = 0; j < 20; j++) grad[j]! += model.weights[j]! / r[j]!;
    expect(Math.max(...grad.map(Math.abs), ...gradBias.map(Math.abs))).toBeLessThan(1e-3);
  });
});
