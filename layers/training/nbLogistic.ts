import type { CsrMatrix } from './design.ts';
import { minimizeLbfgs } from './lbfgs.ts';

/**
 * Naive-Bayes-weighted logistic regression (Wang & Manning's NBSVM idea with a logistic loss), one binary model
 * per label, fitted jointly because the labels share every pass over the data.
 *
 * Each feature is scaled per label by r = ln((p/‖p‖₁)/(q/‖q‖₁)), p and q the smoothed feature sums over the
 * label's positive and negative rows; then an L2-regularised logistic regression (C as in scikit-learn,
 * intercept not penalised) is fitted on the scaled features. Since w·(r∘x) = (w∘r)·x, the model ships w∘r only.
 */
export interface NbLogisticOptions {
  C: number;
  /** Smoothing of the NB ratios. */
  alpha: number;
  maxIterations: number;
  tolerance: number;
  onIteration?: (iteration: number) => void;
}

export interface NbLogisticModel {
  labels: number;
  /** Effective weights (w∘r), feature-major: weight of feature j for label l at j * labels + l. */
  weights: Float64Array;
  bias: Float64Array;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/** y: row-major [rows × labels] with 1 for a positive. */
export function nbRatios(X: CsrMatrix, y: Uint8Array, labels: number, alpha: number): Float64Array {
  const p = new Float64Array(X.cols * labels).fill(alpha);
  const q = new Float64Array(X.cols * labels).fill(alpha);
  for (let i = 0; i < X.rows; i++) {
    for (let k = X.indptr[i]!; k < X.indptr[i + 1]!; k++) {
      const base = X.indices[k]! * labels;
      const v = X.values[k]!;
      for (let l = 0; l < labels; l++) {
        if (y[i * labels + l]) p[base + l]! += v;
        else q[base + l]! += v;
      }
    }
  }
  const pSum = new Float64Array(labels);
  const qSum = new Float64Array(labels);
  for (let j = 0; j < X.cols; j++) {
    for (let l = 0; l < labels; l++) {
      pSum[l]! += p[j * labels + l]!;
      qSum[l]! += q[j * labels + l]!;
    }
  }
  const r = new Float64Array(X.cols * labels);
  for (let j = 0; j < X.cols; j++) {
    for (let l = 0; l < labels; l++) {
      r[j * labels + l] = Math.log(p[j * labels + l]! / pSum[l]!) - Math.log(q[j * labels + l]! / qSum[l]!);
    }
  }
  return r;
}

export function fitNbLogistic(
  X: CsrMatrix,
  y: Uint8Array,
  labels: number,
  options: NbLogisticOptions,
): NbLogisticModel {
  if (labels !== 4) throw new RangeError(`the solver is specialised for 4 labels, got ${labels}`);
  const r = nbRatios(X, y, labels, options.alpha);
  const dim = X.cols * labels;
  const effective = new Float64Array(dim);
  const z = new Float64Array(X.rows * labels);
  const acc = new Float64Array(dim);
  const C = options.C;

  // θ = [w (feature-major, four labels interleaved) | bias (4)]. Unrolled for four labels: this loop is the
  // whole cost of training.
  let evaluations = 0;
  const objective = (theta: Float64Array, grad: Float64Array): number => {
    evaluations++;
    let value = 0;
    for (let j = 0; j < dim; j++) {
      const w = theta[j]!;
      effective[j] = w * r[j]!;
      value += 0.5 * w * w;
    }
    const b0 = theta[dim]!,
      b1 = theta[dim + 1]!,
      b2 = theta[dim + 2]!,
      b3 = theta[dim + 3]!;
    const { indptr, indices, values } = X;
    for (let i = 0; i < X.rows; i++) {
      let z0 = b0,
        z1 = b1,
        z2 = b2,
        z3 = b3;
      const end = indptr[i + 1]!;
      for (let k = indptr[i]!; k < end; k++) {
        const base = indices[k]! << 2;
        const v = values[k]!;
        z0 += v * effective[base]!;
        z1 += v * effective[base + 1]!;
        z2 += v * effective[base + 2]!;
        z3 += v * effective[base + 3]!;
      }
      const o = i << 2;
      z[o] = z0;
      z[o + 1] = z1;
      z[o + 2] = z2;
      z[o + 3] = z3;
    }
    acc.fill(0);
    let g0 = 0,
      g1 = 0,
      g2 = 0,
      g3 = 0;
    for (let i = 0; i < X.rows; i++) {
      const o = i << 2;
      for (let l = 0; l < 4; l++) {
        const s = y[o + l] ? 1 : -1;
        const m = s * z[o + l]!;
        // log(1 + e^{-m}) and its derivative, stable for both signs of m.
        value += C * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
        z[o + l] = (-s * C) / (1 + Math.exp(m));
      }
      const d0 = z[o]!,
        d1 = z[o + 1]!,
        d2 = z[o + 2]!,
        d3 = z[o + 3]!;
      g0 += d0;
      g1 += d1;
      g2 += d2;
      g3 += d3;
      const end = indptr[i + 1]!;
      for (let k = indptr[i]!; k < end; k++) {
        const base = indices[k]! << 2;
        const v = values[k]!;
        acc[base]! += v * d0;
        acc[base + 1]! += v * d1;
        acc[base + 2]! += v * d2;
        acc[base + 3]! += v * d3;
      }
    }
    grad[dim] = g0;
    grad[dim + 1] = g1;
    grad[dim + 2] = g2;
    grad[dim + 3] = g3;
    for (let j = 0; j < dim; j++) grad[j] = theta[j]! + r[j]! * acc[j]!;
    return value;
  };

  const result = minimizeLbfgs(objective, new Float64Array(dim + labels), {
    maxIterations: options.maxIterations,
    history: 10,
    tolerance: options.tolerance,
    onIteration: options.onIteration,
  });
  const weights = new Float64Array(dim);
  for (let j = 0; j < dim; j++) weights[j] = result.x[j]! * r[j]!;
  return {
    labels,
    weights,
    bias: result.x.slice(dim),
    iterations: result.iterations,
    evaluations,
    converged: result.converged,
  };
}
