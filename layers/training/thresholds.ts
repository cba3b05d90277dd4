import { decide } from '#core/decision.ts';
import { LABELS, type LabelName } from '#core/labels.ts';
import { type Metrics, MetricsAccumulator } from '#core/metrics.ts';

export type Thresholds = Record<LabelName, number>;

export const uniformThresholds = (t: number): Thresholds => Object.fromEntries(LABELS.map((l) => [l, t])) as Thresholds;

/** Metrics of probabilities (row-major [rows × labels]) under thresholds and the fallback rule. */
export function scoreThresholds(
  proba: Float64Array,
  truth: readonly number[][],
  thresholds: Thresholds,
  rows?: readonly number[],
): Metrics {
  const acc = new MetricsAccumulator();
  const L = LABELS.length;
  const ids = rows ?? truth.map((_, i) => i);
  for (const i of ids) acc.add(truth[i]!, decide(proba.subarray(i * L, i * L + L), thresholds));
  return acc.result();
}

const GRID = Array.from({ length: 91 }, (_, k) => Math.round((0.05 + k * 0.01) * 100) / 100);

/**
 * Per-label thresholds that maximise weighted F1 (the headline metric) of the decision rule, fallback included,
 * by coordinate ascent over a 0.01 grid. Deterministic: ties keep the lower threshold.
 */
export function tuneThresholds(
  proba: Float64Array,
  truth: readonly number[][],
  rows?: readonly number[],
  rounds = 2,
): Thresholds {
  const thresholds = uniformThresholds(0.5);
  let best = scoreThresholds(proba, truth, thresholds, rows).weighted.f1;
  for (let round = 0; round < rounds; round++) {
    let improved = false;
    for (const label of LABELS) {
      const current = thresholds[label];
      let bestValue = current;
      for (const candidate of GRID) {
        thresholds[label] = candidate;
        const f1 = scoreThresholds(proba, truth, thresholds, rows).weighted.f1;
        if (f1 > best + 1e-12) {
          best = f1;
          bestValue = candidate;
          improved = true;
        }
      }
      thresholds[label] = bestValue;
    }
    if (!improved) break;
  }
  return thresholds;
}
