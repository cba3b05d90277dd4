/**
 * The calibrator: Platt scaling, p = σ(a·z + b), one (a, b) per label and expert, fitted on out-of-fold logits z (the
 * trainer decides which). A strongly regularised NB-LR (C 30) is over-confident (its tuned thresholds sit far from
 * 0.5); after scaling, a probability means what it says and 0.5 is the natural threshold. Platt scaling is affine in
 * the logit, so explanations stay exact for the calibrated score (`affineExplanation`).
 */

export interface Platt {
  a: number;
  b: number;
}

export const IDENTITY_PLATT: Platt = { a: 1, b: 0 };

/**
 * Fits (a, b) by Newton's method on the log loss with Platt's smoothed targets ((N₊+1)/(N₊+2) and 1/(N₋+2)), as
 * scikit-learn's sigmoid calibration does; the smoothing keeps a separable fold from pushing `a` to infinity.
 */
export function fitPlatt(logits: ArrayLike<number>, positive: ArrayLike<boolean | number>): Platt {
  const n = logits.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) nPos++;
  const nNeg = n - nPos;
  if (n === 0 || nPos === 0 || nNeg === 0) return { ...IDENTITY_PLATT };
  const hi = (nPos + 1) / (nPos + 2);
  const lo = 1 / (nNeg + 2);
  let a = 1;
  let b = 0;
  const loss = (aa: number, bb: number): number => {
    let s = 0;
    for (let i = 0; i < n; i++) {
      const t = positive[i] ? hi : lo;
      const f = aa * logits[i]! + bb;
      // t·log(1+e^-f) + (1-t)·log(1+e^f), stable for both signs.
      const lp = f > 0 ? Math.log1p(Math.exp(-f)) : -f + Math.log1p(Math.exp(f));
      s += t * lp + (1 - t) * (lp + f);
    }
    return s;
  };
  let current = loss(a, b);
  for (let iteration = 0; iteration < 100; iteration++) {
    let ga = 0,
      gb = 0,
      haa = 0,
      hab = 0,
      hbb = 0;
    for (let i = 0; i < n; i++) {
      const t = positive[i] ? hi : lo;
      const z = logits[i]!;
      const p = 1 / (1 + Math.exp(-(a * z + b)));
      const d = p - t;
      const w = Math.max(p * (1 - p), 1e-12);
      ga += d * z;
      gb += d;
      haa += w * z * z;
      hab += w * z;
      hbb += w;
    }
    // A tiny ridge keeps the 2×2 system solvable when every logit is equal.
    haa += 1e-12;
    hbb += 1e-12;
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    let step = 1;
    let next = loss(a - step * da, b - step * db);
    while (next > current && step > 1e-8) {
      step /= 2;
      next = loss(a - step * da, b - step * db);
    }
    if (next > current) break;
    a -= step * da;
    b -= step * db;
    const gain = current - next;
    current = next;
    if (gain < 1e-12 * Math.max(1, current)) break;
  }
  return { a, b };
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Per-label Platt parameters of one expert, as arrays (what a fitted model carries). */
export interface Calibration {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
}

/** Calibrates raw logits in place (`z ← a·z + b` per label) for the labels at `offset`. */
export function calibrateLogits(calibration: Calibration, z: Float64Array, offset: number): void {
  for (let l = 0; l < calibration.a.length; l++) z[offset + l] = calibration.a[l]! * z[offset + l]! + calibration.b[l]!;
}
