import { z } from 'zod';
import { ClassifierError } from './errors.ts';
import { LABELS, type LabelName } from './labels.ts';

/**
 * Multi-label metrics with scikit-learn's definitions and `zero_division=0` (every 0/0 is 0).
 *
 * The state is all integers so that chunks evaluated apart (the fan-out path) merge exactly, in any order,
 * into the same bits a single pass would give. Per-sample precision, recall and F1 are rationals whose
 * denominators lie in 1..8 (|pred| ≤ 4, |true| ≤ 4, F1 = 2·tp/(|true|+|pred|)), so their sums are kept as
 * integer multiples of 1/840 (840 = lcm(1..8)); floating point division happens only in `result()`.
 */

export interface LabelScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export interface Averages {
  precision: number;
  recall: number;
  f1: number;
}

/**
 * `metrics.json`'s text: the metrics, then (an extra field, scikit-learn's keys untouched) the rows per confidence
 * level. The CLI, the S3 results and the page write it through here, so their files are byte-identical.
 */
export function metricsDocument(metrics: Metrics, confidence?: Readonly<Record<string, number>>): string {
  return `${JSON.stringify({ ...metrics, ...(confidence ? { confidence } : {}) }, null, 2)}\n`;
}

/** The `metrics.json` object; keys are declared (and built) in the order the contract prescribes. */
export interface Metrics {
  n_rows: number;
  labels: string[];
  micro: Averages;
  macro: Averages;
  weighted: Averages;
  samples: Averages;
  per_label: Record<LabelName, LabelScores>;
  subset_accuracy: number;
  hamming_loss: number;
}

const K = LABELS.length;
/** lcm(1..8): every per-sample precision, recall and F1 is an integer multiple of 1/840. */
const SCALE = 840;

const count = z.number().int().nonnegative().refine(Number.isSafeInteger, 'must be a safe integer');
const perLabel = z.array(count).length(K);

const stateSchema = z
  .object({
    version: z.literal(1),
    labels: z.array(z.string()).refine((l) => l.length === K && l.every((name, i) => name === LABELS[i]), {
      message: `labels must be exactly ${LABELS.join(', ')} in this order`,
    }),
    rows: count,
    exact_matches: count,
    tp: perLabel,
    fp: perLabel,
    fn: perLabel,
    samples_precision_840: count,
    samples_recall_840: count,
    samples_f1_840: count,
  })
  .strict()
  .superRefine((s, ctx) => {
    // Counts that could not come from `s.rows` rows betray a corrupt or hand-edited partial.
    if (s.exact_matches > s.rows) ctx.addIssue({ code: 'custom', path: ['exact_matches'], message: 'exceeds rows' });
    for (let i = 0; i < K; i++) {
      if (s.tp[i]! + s.fp[i]! + s.fn[i]! > s.rows) {
        ctx.addIssue({ code: 'custom', path: ['tp', i], message: 'tp + fp + fn exceeds rows' });
      }
    }
    for (const key of ['samples_precision_840', 'samples_recall_840', 'samples_f1_840'] as const) {
      if (s[key] > s.rows * SCALE) ctx.addIssue({ code: 'custom', path: [key], message: 'exceeds rows × 840' });
    }
  });

/** Plain, JSON-serialisable accumulator state (what a fan-out chunk writes and the aggregator reads). */
export type MetricsState = z.infer<typeof stateSchema>;

/** 0/0 and x/0 are 0 (scikit-learn's zero_division=0). */
function divide(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

/** A label-index set as a bitmask; duplicates collapse, anything outside 0..3 is a programming error. */
function toMask(indices: readonly number[], what: string): number {
  let mask = 0;
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= K) {
      throw new RangeError(`${what} label index ${String(i)} is not in 0..${K - 1}`);
    }
    mask |= 1 << i;
  }
  return mask;
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export class MetricsAccumulator {
  #rows = 0;
  #exactMatches = 0;
  readonly #tp = new Array<number>(K).fill(0);
  readonly #fp = new Array<number>(K).fill(0);
  readonly #fn = new Array<number>(K).fill(0);
  #samplesPrecision840 = 0;
  #samplesRecall840 = 0;
  #samplesF1840 = 0;

  get rows(): number {
    return this.#rows;
  }

  /** Counts one row; each label is scored on its own, so `neurological|hepatorenal` is two labels, not a class. */
  add(trueLabels: readonly number[], predLabels: readonly number[]): void {
    const t = toMask(trueLabels, 'true');
    const p = toMask(predLabels, 'predicted');
    for (let i = 0; i < K; i++) {
      const bit = 1 << i;
      if (t & bit && p & bit) this.#tp[i]!++;
      else if (p & bit) this.#fp[i]!++;
      else if (t & bit) this.#fn[i]!++;
    }
    const tp = popcount(t & p);
    const nTrue = popcount(t);
    const nPred = popcount(p);
    // Row precision tp/|p| (0 for an empty prediction), recall tp/|t| (0 for an empty truth),
    // F1 2tp/(|t|+|p|) (0 when both are empty): all exact in units of 1/840.
    this.#samplesPrecision840 += nPred === 0 ? 0 : (SCALE * tp) / nPred;
    this.#samplesRecall840 += nTrue === 0 ? 0 : (SCALE * tp) / nTrue;
    this.#samplesF1840 += nTrue + nPred === 0 ? 0 : (SCALE * 2 * tp) / (nTrue + nPred);
    if (t === p) this.#exactMatches++;
    this.#rows++;
  }

  /** Adds another accumulator's counts into this one; integer sums, so any merge order gives the same bits. */
  merge(other: MetricsAccumulator): void {
    this.#rows += other.#rows;
    this.#exactMatches += other.#exactMatches;
    for (let i = 0; i < K; i++) {
      this.#tp[i]! += other.#tp[i]!;
      this.#fp[i]! += other.#fp[i]!;
      this.#fn[i]! += other.#fn[i]!;
    }
    this.#samplesPrecision840 += other.#samplesPrecision840;
    this.#samplesRecall840 += other.#samplesRecall840;
    this.#samplesF1840 += other.#samplesF1840;
  }

  toJSON(): MetricsState {
    return {
      version: 1,
      labels: [...LABELS],
      rows: this.#rows,
      exact_matches: this.#exactMatches,
      tp: [...this.#tp],
      fp: [...this.#fp],
      fn: [...this.#fn],
      samples_precision_840: this.#samplesPrecision840,
      samples_recall_840: this.#samplesRecall840,
      samples_f1_840: this.#samplesF1840,
    };
  }

  /** Rebuilds an accumulator from `toJSON()` output; throws ClassifierError `invalid_metrics_state` otherwise. */
  static fromJSON(state: unknown): MetricsAccumulator {
    const parsed = stateSchema.safeParse(state);
    if (!parsed.success) {
      throw new ClassifierError(
        'invalid_metrics_state',
        `not a metrics accumulator state:\n${z.prettifyError(parsed.error)}`,
      );
    }
    const s = parsed.data;
    const acc = new MetricsAccumulator();
    acc.#rows = s.rows;
    acc.#exactMatches = s.exact_matches;
    for (let i = 0; i < K; i++) {
      acc.#tp[i] = s.tp[i]!;
      acc.#fp[i] = s.fp[i]!;
      acc.#fn[i] = s.fn[i]!;
    }
    acc.#samplesPrecision840 = s.samples_precision_840;
    acc.#samplesRecall840 = s.samples_recall_840;
    acc.#samplesF1840 = s.samples_f1_840;
    return acc;
  }

  result(): Metrics {
    const n = this.#rows;
    const perLabel = {} as Record<LabelName, LabelScores>;
    const precisions: number[] = [];
    const recalls: number[] = [];
    const f1s: number[] = [];
    let tpSum = 0;
    let fpSum = 0;
    let fnSum = 0;
    let supportSum = 0;
    let weightedP = 0;
    let weightedR = 0;
    let weightedF = 0;
    LABELS.forEach((name, i) => {
      const tp = this.#tp[i]!;
      const fp = this.#fp[i]!;
      const fn = this.#fn[i]!;
      const support = tp + fn;
      // Per label, F1 = 2tp/(2tp+fp+fn) (sklearn's form; equals 2PR/(P+R), and is 0 when P+R = 0).
      const scores: LabelScores = {
        precision: divide(tp, tp + fp),
        recall: divide(tp, support),
        f1: divide(2 * tp, 2 * tp + fp + fn),
        support,
        tp,
        fp,
        fn,
        tn: n - tp - fp - fn,
      };
      perLabel[name] = scores;
      precisions.push(scores.precision);
      recalls.push(scores.recall);
      f1s.push(scores.f1);
      tpSum += tp;
      fpSum += fp;
      fnSum += fn;
      supportSum += support;
      weightedP += scores.precision * support;
      weightedR += scores.recall * support;
      weightedF += scores.f1 * support;
    });
    return {
      n_rows: n,
      labels: [...LABELS],
      // micro: one pooled confusion matrix over every (row, label) cell.
      micro: {
        precision: divide(tpSum, tpSum + fpSum),
        recall: divide(tpSum, tpSum + fnSum),
        f1: divide(2 * tpSum, 2 * tpSum + fpSum + fnSum),
      },
      // macro: unweighted mean of the per-label scores (macro F1 is the mean of F1s, not F1 of the means).
      macro: { precision: mean(precisions), recall: mean(recalls), f1: mean(f1s) },
      // weighted: per-label scores weighted by support (true count); 0 when nothing is labelled at all.
      weighted: {
        precision: divide(weightedP, supportSum),
        recall: divide(weightedR, supportSum),
        f1: divide(weightedF, supportSum),
      },
      // samples: mean over rows of each row's own precision, recall and F1.
      samples: {
        precision: divide(this.#samplesPrecision840, SCALE * n),
        recall: divide(this.#samplesRecall840, SCALE * n),
        f1: divide(this.#samplesF1840, SCALE * n),
      },
      per_label: perLabel,
      // subset accuracy: rows whose predicted set equals the true set exactly.
      subset_accuracy: divide(this.#exactMatches, n),
      // Hamming loss: wrong (row, label) cells over all rows × 4 cells.
      hamming_loss: divide(fpSum + fnSum, n * K),
    };
  }
}

/** One-shot convenience over `MetricsAccumulator` for in-memory arrays of label-index sets. */
export function computeMetrics(yTrue: readonly (readonly number[])[], yPred: readonly (readonly number[])[]): Metrics {
  if (yTrue.length !== yPred.length) {
    throw new RangeError(`yTrue has ${yTrue.length} rows but yPred has ${yPred.length}`);
  }
  const acc = new MetricsAccumulator();
  for (let r = 0; r < yTrue.length; r++) acc.add(yTrue[r]!, yPred[r]!);
  return acc.result();
}
