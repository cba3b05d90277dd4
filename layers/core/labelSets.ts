import { LABELS } from './labels.ts';

/**
 * Which true label sets are predicted as which: the label-set confusion table of the reports. Per-label matrices
 * cannot show that `neurological|oncological` rows come out as `oncological` alone; this table can. Counts are
 * kept by bit mask (one bit per label, LABELS order), so they merge exactly across fan-out chunks.
 */
export interface LabelSetRow {
  truth: number[];
  rows: number;
  /** Rows whose predicted set is exactly the true one. */
  exact: number;
  /** The other predicted sets, most frequent first. */
  predicted: { labels: number[]; rows: number }[];
}

const maskOf = (labels: readonly number[]): number => labels.reduce((m, l) => m | (1 << l), 0);
const labelsOf = (mask: number): number[] => LABELS.map((_, l) => l).filter((l) => mask & (1 << l));
const SETS = 1 << LABELS.length;

export class LabelSetCounts {
  /** counts[truthMask * SETS + predictedMask] */
  readonly #counts = new Map<number, number>();

  add(truth: readonly number[], predicted: readonly number[]): void {
    const key = maskOf(truth) * SETS + maskOf(predicted);
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  merge(other: LabelSetCounts): void {
    for (const [key, n] of other.#counts) this.#counts.set(key, (this.#counts.get(key) ?? 0) + n);
  }

  /** `[truthMask, predictedMask, rows]`, sorted: the form the fan-out parts carry. */
  toJSON(): [number, number, number][] {
    return [...this.#counts].sort((a, b) => a[0] - b[0]).map(([key, n]) => [Math.floor(key / SETS), key % SETS, n]);
  }

  static fromJSON(entries: readonly (readonly [number, number, number])[]): LabelSetCounts {
    const counts = new LabelSetCounts();
    for (const [truth, predicted, n] of entries) counts.#counts.set(truth * SETS + predicted, n);
    return counts;
  }

  /** One row per true label set, most frequent first (ties: fewer labels first, then LABELS order). */
  rows(): LabelSetRow[] {
    const byTruth = new Map<number, LabelSetRow>();
    for (const [truth, predicted, n] of this.toJSON()) {
      const row = byTruth.get(truth) ?? { truth: labelsOf(truth), rows: 0, exact: 0, predicted: [] };
      row.rows += n;
      if (truth === predicted) row.exact += n;
      else row.predicted.push({ labels: labelsOf(predicted), rows: n });
      byTruth.set(truth, row);
    }
    const order = (a: number[], b: number[]) => a.length - b.length || maskOf(a) - maskOf(b);
    const rows = [...byTruth.values()];
    for (const row of rows) row.predicted.sort((a, b) => b.rows - a.rows || order(a.labels, b.labels));
    return rows.sort((a, b) => b.rows - a.rows || order(a.truth, b.truth));
  }
}
