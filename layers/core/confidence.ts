import type { TextKind } from '#model/router.ts';
import { LABELS, type LabelName } from './labels.ts';

/**
 * How much an answer can be trusted, beside its labels (which keep the prototype's rule: every text gets at least the
 * most probable label, so old clients keep working):
 * - `out_of_scope`: no meaningful medical evidence for any label: no label reaches `outOfScopeBelow` of the text's
 *   kind and the model's medical lexicon matched no term (models without a lexicon decide on the probabilities
 *   alone). The label shown is the fallback's; it means nothing. Short texts carry less evidence, so their bar is
 *   their own.
 * - `low`: evidence exists but the answer is uncertain: no label passes its threshold (the fallback rule chose the
 *   label), or the most probable label stays below `highFrom`.
 * - `high`: a label passes its threshold with probability ≥ `highFrom`.
 * The rule's settings are data (`model.json` → `confidence`), chosen on cross-validated figures the trainer records;
 * models without them use `DEFAULT_CONFIDENCE_RULE`.
 */

export const CONFIDENCE_LEVELS = ['high', 'low', 'out_of_scope'] as const;
export type Confidence = (typeof CONFIDENCE_LEVELS)[number];

export interface ConfidenceRule {
  /** Per kind of text: out of scope when every label's probability is below this and no lexicon term matched. */
  outOfScopeBelow: Record<TextKind, number>;
  /** High when the most probable label passes its threshold with at least this probability. */
  highFrom: number;
}

/** Chosen on cross-validated figures (README, "Confidence"): at most 1 % of real abstracts out of scope. */
export const DEFAULT_CONFIDENCE_RULE: ConfidenceRule = {
  outOfScopeBelow: { real: 0.3, template: 0.3, snippet: 0.4 },
  highFrom: 0.7,
};

export interface ConfidenceInput {
  /** Probabilities in `LABELS` order. */
  proba: ArrayLike<number>;
  /** Lexicon matches per label (`LABELS` order), when the model has a lexicon. */
  matches?: ArrayLike<number>;
  kind: TextKind;
}

export function confidenceOf(
  input: ConfidenceInput,
  thresholds: Readonly<Record<LabelName, number>>,
  rule: ConfidenceRule = DEFAULT_CONFIDENCE_RULE,
): Confidence {
  let best = 0;
  let passes = false;
  for (let l = 0; l < LABELS.length; l++) {
    const p = input.proba[l]!;
    if (p > input.proba[best]!) best = l;
    if (p >= thresholds[LABELS[l]!]) passes = true;
  }
  const top = input.proba[best]!;
  let matched = false;
  if (input.matches) for (let l = 0; l < LABELS.length; l++) if (input.matches[l]! > 0) matched = true;
  if (top < rule.outOfScopeBelow[input.kind] && !matched) return 'out_of_scope';
  if (!passes || top < rule.highFrom) return 'low';
  return 'high';
}

/** Counts per level, in `CONFIDENCE_LEVELS` order (reports, metrics.json). */
export const emptyConfidenceCounts = (): Record<Confidence, number> => ({ high: 0, low: 0, out_of_scope: 0 });

/** A row the model found no medical evidence in, as the reports list it. */
export interface OutOfScopeRow {
  line: number;
  title: string;
  /** The fallback's label (index into `LABELS`) and its probability. */
  label: number;
  proba: number;
}

/** Reports list the first rows out of scope, by line; the count says how many there are in all. */
export const MAX_OUT_OF_SCOPE_ROWS = 50;

/** The first `MAX_OUT_OF_SCOPE_ROWS` rows by line: mergeable across fan-out parts (line order is total). */
export const firstOutOfScope = (rows: readonly OutOfScopeRow[]): OutOfScopeRow[] =>
  [...rows].sort((a, b) => a.line - b.line).slice(0, MAX_OUT_OF_SCOPE_ROWS);
