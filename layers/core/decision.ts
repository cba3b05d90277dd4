import { LABELS, type LabelName } from './labels.ts';

/**
 * The decision rule: a label is predicted when its probability is at least its threshold; when none passes,
 * the single most probable label is predicted (every abstract belongs to at least one group). Ties in the
 * fallback go to the first label in `LABELS` order.
 */
export function decide(proba: ArrayLike<number>, thresholds: Readonly<Record<LabelName, number>>): number[] {
  const chosen: number[] = [];
  let best = 0;
  for (let i = 0; i < LABELS.length; i++) {
    const p = proba[i]!;
    if (p >= thresholds[LABELS[i]!]) chosen.push(i);
    if (p > proba[best]!) best = i;
  }
  return chosen.length > 0 ? chosen : [best];
}
