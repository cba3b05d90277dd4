/**
 * Limited-memory BFGS with a backtracking (Armijo) line search, for smooth convex objectives such as
 * L2-regularised logistic regression. Deterministic: no randomness, fixed evaluation order.
 */
export interface LbfgsOptions {
  maxIterations: number;
  history: number;
  /** Stop when ‖g‖∞ ≤ tolerance · max(1, ‖g₀‖∞). */
  tolerance: number;
  onIteration?: (iteration: number, value: number) => void;
}

export interface LbfgsResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

/** `evaluate` writes the gradient at x into `grad` and returns the objective value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = options.history;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = objective(x, g);
  const g0 = maxAbs(g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const alpha = new Float64Array(m);
  const d = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  let iteration = 0;
  let converged = maxAbs(g) <= options.tolerance * Math.max(1, g0);

  while (!converged && iteration < options.maxIterations) {
    // Two-loop recursion: d = -H·g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let j = s.length - 1; j >= 0; j--) {
      alpha[j] = rho[j]! * dot(s[j]!, d);
      axpy(-alpha[j]!, y[j]!, d);
    }
    if (s.length > 0) {
      const last = s.length - 1;
      scale(d, dot(s[last]!, y[last]!) / dot(y[last]!, y[last]!));
    } else {
      scale(d, 1 / Math.max(1, Math.sqrt(dot(g, g))));
    }
    for (let j = 0; j < s.length; j++) {
      const beta = rho[j]! * dot(y[j]!, d);
      axpy(alpha[j]! - beta, s[j]!, d);
    }
    let slope = dot(g, d);
    if (slope >= 0) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = 0;
      y.length = 0;
      rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i]!;
      slope = dot(g, d);
    }
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = objective(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < f)) break;
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i]! - x[i]!;
      yk[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      if (s.length === m) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    x.set(xNew);
    g.set(gNew);
    f = fNew;
    iteration++;
    options.onIteration?.(iteration, f);
    converged = maxAbs(g) <= options.tolerance * Math.max(1, g0);
  }
  return { x, value: f, iterations: iteration, converged };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}
function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i]! += a * x[i]!;
}
function scale(x: Float64Array, a: number): void {
  for (let i = 0; i < x.length; i++) x[i]! *= a;
}
function maxAbs(x: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  return m;
}
