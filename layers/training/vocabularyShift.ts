import { decide } from '#core/decision.ts';
import { LABELS } from '#core/labels.ts';
import { MetricsAccumulator } from '#core/metrics.ts';
import { mulberry32 } from '#core/random.ts';
import type { Platt } from '#model/calibrator.ts';
import { normalizeText, wordTokens } from '#model/ngrams.ts';
import {
  crossValidateExperts,
  type ExpertPlan,
  type Sample,
  type SampleFeatures,
  type TrainingData,
  truthOfRows,
} from './experts.ts';
import { uniformThresholds } from './thresholds.ts';

/**
 * A vocabulary-shift simulation built from the training file alone: abstracts from another source use words the
 * training rows never saw. Take the label-specific rare words (in 2–20 labelled rows, ≥ 90 % of which carry one label
 * that at most 60 % of all rows carry), pick a random half of them, and hold out every row that contains a picked
 * word (with its derived titles and first sentences); the experts are trained on the rest (background included) and
 * score the held-out rows, whose tell-tale words they have never seen. Run through the one evaluation loop
 * (`crossValidateExperts` with a two-fold split, scoring only the held-out fold, calibrated as the main CV fitted).
 */

export interface ShiftFigures {
  seed: number;
  rare_words: number;
  held_out_words: number;
  held_out_rows: number;
  /** Weighted F1 (threshold 0.5, calibrated) and top-1 accuracy (the most probable label is a true one). */
  all: { n: number; weighted_f1: number; top1: number };
  real: { n: number; weighted_f1: number; top1: number };
}

/** The held-out rows of one draw: those containing a picked label-specific rare word. */
export function rareWordHoldout(
  data: TrainingData,
  seed: number,
): { held: Set<number>; rareWords: number; picked: number } {
  const rowsOf = new Map<string, number[]>();
  data.texts.forEach((text, row) => {
    for (const word of new Set(wordTokens(normalizeText(text)))) {
      if (word.length < 4 || /\d/.test(word)) continue;
      const rows = rowsOf.get(word) ?? [];
      rowsOf.set(word, rows);
      rows.push(row);
    }
  });
  const share = LABELS.map((_, l) => data.truth.filter((t) => t.includes(l)).length / data.truth.length);
  const rare = [...rowsOf.entries()]
    .filter(([, rows]) => rows.length >= 2 && rows.length <= 20)
    .filter(([, rows]) =>
      LABELS.some(
        (_, l) => share[l]! <= 0.6 && rows.filter((r) => data.truth[r]!.includes(l)).length >= 0.9 * rows.length,
      ),
    )
    .map(([word]) => word)
    .sort();
  const random = mulberry32(seed);
  const picked = rare.filter(() => random() < 0.5);
  const held = new Set(picked.flatMap((w) => rowsOf.get(w)!));
  return { held, rareWords: rare.length, picked: picked.length };
}

export function vocabularyShift(
  data: TrainingData,
  samples: readonly Sample[],
  features: SampleFeatures,
  plan: ExpertPlan,
  calibration: Platt[][],
  seed: number,
): ShiftFigures {
  const { held, rareWords, picked } = rareWordHoldout(data, seed);
  const truth = truthOfRows(data);
  const foldOfRow = Int32Array.from(truth, (_, row) => (held.has(row) ? 0 : 1));
  const run = crossValidateExperts(samples, features, truth, plan, 2, seed, {
    foldOfRow,
    evaluateFolds: [0],
    calibration,
  });
  const L = LABELS.length;
  const half = uniformThresholds(0.5);
  const figuresOf = (keep: (s: Sample) => boolean) => {
    const acc = new MetricsAccumulator();
    let top = 0;
    let n = 0;
    samples.forEach((s, i) => {
      if (s.source !== 'row' || !run.evaluated[i] || !keep(s)) return;
      const proba = run.proba.subarray(i * L, i * L + L);
      acc.add(truth[s.row]!, decide(proba, half));
      let best = 0;
      for (let l = 1; l < L; l++) if (proba[l]! > proba[best]!) best = l;
      if (truth[s.row]!.includes(best)) top++;
      n++;
    });
    return { n, weighted_f1: n > 0 ? acc.result().weighted.f1 : Number.NaN, top1: n > 0 ? top / n : Number.NaN };
  };
  return {
    seed,
    rare_words: rareWords,
    held_out_words: picked,
    held_out_rows: held.size,
    all: figuresOf(() => true),
    real: figuresOf((s) => s.rowKind === 'real'),
  };
}
