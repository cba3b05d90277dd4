import { ClassifierError } from './errors.ts';
import { LABELS, SHORT_NAMES, type ShortName } from './labels.ts';

/**
 * Evidence for a prediction, whatever backend produced it: per label, `logit = bias + Σ word contributions`, with
 * each word's character spans in the text the caller sent. Backends fill `TextExplanation`; everything users see
 * (the API's `explanation`, the CLI's `evidence` column, the report's highlighted errors) is derived from it by the
 * pure functions below, so the same words drive the same labels everywhere.
 */

/** `[start, end)` in the original text, in UTF-16 code units (JavaScript string indices). */
export type Span = [number, number];

/** One distinct word of a text (as the model read it: normalised) and what it adds to each label's logit. */
export interface WordEvidence {
  text: string;
  /** Every occurrence of the word, in text order. */
  spans: Span[];
  /** Per label, `LABELS` order: the sum of its occurrences' contributions. */
  contributions: Float64Array;
}

export interface TextExplanation {
  /** Per label: the logit whose sigmoid is the probability the model returned. */
  logit: Float64Array;
  /** Per label: the part of the logit that does not depend on the text. */
  bias: Float64Array;
  /** In order of first occurrence; `bias + Σ contributions = logit` per label, to rounding. */
  words: WordEvidence[];
}

/** A model whose backend cannot explain was asked to. */
export class ExplanationUnsupportedError extends ClassifierError {
  readonly backend: string;
  constructor(backend: string) {
    super(
      'explanation_unsupported',
      `the ${backend} backend does not explain its predictions; ask without explanations or use a linear model`,
    );
    this.name = 'ExplanationUnsupportedError';
    this.backend = backend;
  }
}

export interface Term {
  text: string;
  weight: number;
  spans: Span[];
  /** Occurrences left out of `spans` by a `maxSpans` cap (absent when none were). */
  spans_omitted?: number;
}

export interface EvidenceShape {
  /** Most spans listed per word (its first occurrences); the rest are counted in `spans_omitted`. Default: all. */
  maxSpans?: number;
}

export interface LabelEvidence {
  logit: number;
  bias: number;
  /** The strongest words, by |weight| descending (ties keep text order). */
  terms: Term[];
  /** The contributions of the words left out of `terms`. */
  rest: number;
}

export const DEFAULT_TOP_TERMS = 10;
/** The most words per label anyone may ask for (the API's `explain_top`, the CLI's `--explain`, `EVIDENCE_WORDS`). */
export const MAX_TOP_TERMS = 100;

/** The `top` words that move one label's logit most, and the sum of the others. Words that add exactly 0 are never listed. */
export function labelEvidence(
  explanation: TextExplanation,
  label: number,
  top: number = DEFAULT_TOP_TERMS,
  { maxSpans = Number.POSITIVE_INFINITY }: EvidenceShape = {},
): LabelEvidence {
  const ranked = explanation.words
    .map((word, order) => ({ word, order, weight: word.contributions[label]! }))
    .filter((w) => w.weight !== 0)
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.order - b.order);
  const kept = ranked.slice(0, Math.max(0, top));
  let rest = 0;
  for (let i = kept.length; i < ranked.length; i++) rest += ranked[i]!.weight;
  return {
    logit: explanation.logit[label]!,
    bias: explanation.bias[label]!,
    terms: kept.map(({ word, weight }) => {
      const listed = Math.min(word.spans.length, Math.max(0, maxSpans));
      const omitted = word.spans.length - listed;
      return {
        text: word.text,
        weight,
        spans: word.spans.slice(0, listed).map(([s, e]) => [s, e] as Span),
        ...(omitted > 0 ? { spans_omitted: omitted } : {}),
      };
    }),
    rest,
  };
}

/** The API's `explanation` object: every label, by short name, in `LABELS` order. */
export function explanationByLabel(
  explanation: TextExplanation,
  top: number = DEFAULT_TOP_TERMS,
  shape: EvidenceShape = {},
): Record<ShortName, LabelEvidence> {
  return Object.fromEntries(SHORT_NAMES.map((s, i) => [s, labelEvidence(explanation, i, top, shape)])) as Record<
    ShortName,
    LabelEvidence
  >;
}

/**
 * The explanation of `a · logit + b` per label (Platt calibration): bias and every contribution scale by `a`, and
 * `b` joins the bias, so the decomposition stays exact for the calibrated score.
 */
export function affineExplanation(
  explanation: TextExplanation,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  logit: Float64Array,
): TextExplanation {
  const L = LABELS.length;
  return {
    logit,
    bias: Float64Array.from({ length: L }, (_, l) => a[l]! * explanation.bias[l]! + b[l]!),
    words: explanation.words.map((w) => ({
      ...w,
      contributions: Float64Array.from({ length: L }, (_, l) => a[l]! * w.contributions[l]!),
    })),
  };
}

/** The largest `|bias + Σ contributions − logit|` over the labels: 0 up to rounding for an exact explanation. */
export function decompositionError(explanation: TextExplanation): number {
  let worst = 0;
  for (let l = 0; l < explanation.logit.length; l++) {
    let sum = explanation.bias[l]!;
    for (const w of explanation.words) sum += w.contributions[l]!;
    worst = Math.max(worst, Math.abs(sum - explanation.logit[l]!));
  }
  return worst;
}

/** Evidence shown for one label of one row (CSV column, report): its strongest words. */
export interface RowLabelEvidence {
  label: number;
  terms: Term[];
}

/** The strongest `top` words of each of `labels` (indices into `LABELS`, ascending). */
export function rowEvidence(explanation: TextExplanation, labels: readonly number[], top: number): RowLabelEvidence[] {
  return labels.map((label) => ({ label, terms: labelEvidence(explanation, label, top).terms }));
}

// A word that contains the separators (or quotes, or spaces) is written as a JSON string so the cell stays parseable.
const NEEDS_QUOTES = /[,;:"\s\\]|^$/;
const signed = (x: number): string => `${x < 0 ? '-' : '+'}${Math.abs(x).toFixed(2)}`;

/**
 * The `evidence` cell: `cardio: troponin +1.92, chest +0.81; neuro: stroke +2.10` — per label (short name), its
 * words with signed weights (2 decimals), strongest first; labels separated by `; `, words by `, `.
 */
export function formatEvidence(evidence: readonly RowLabelEvidence[]): string {
  return evidence
    .map(
      ({ label, terms }) =>
        `${SHORT_NAMES[label]}:${terms.map((t) => ` ${NEEDS_QUOTES.test(t.text) ? JSON.stringify(t.text) : t.text} ${signed(t.weight)}`).join(',')}`,
    )
    .join('; ');
}
