/** How well probabilities are calibrated: the figure the trainer reports before and after Platt scaling. */

/**
 * Expected calibration error with `bins` equal-width bins over every (row, label) probability pooled:
 * Σ_b (n_b / N) · |mean predicted − observed frequency|.
 */
export function expectedCalibrationError(
  proba: ArrayLike<number>,
  positive: ArrayLike<boolean | number>,
  bins = 10,
): number {
  const count = new Float64Array(bins);
  const sumP = new Float64Array(bins);
  const sumY = new Float64Array(bins);
  for (let i = 0; i < proba.length; i++) {
    const p = proba[i]!;
    const b = Math.min(bins - 1, Math.floor(p * bins));
    count[b]! += 1;
    sumP[b]! += p;
    sumY[b]! += positive[i] ? 1 : 0;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += Math.abs(sumP[b]! - sumY[b]!) / proba.length;
  return ece;
}
