import type { LabelEvidence, Term } from './api.ts';

/**
 * How the page draws evidence, on one absolute scale: a word's weight is what it adds to a label's logit (the
 * API's `explanation`, unchanged), so the same weight looks the same in every text. A strong word in an off-topic
 * text no longer looks like a strong word in a real abstract, as it did when strength was relative to the text's
 * strongest word. Documented on the page (its legend) and in the README.
 *
 *   |weight| < 0.5        not highlighted: too little to move a label (a logit change of 0.5 is odds × 1.6)
 *   0.5 ≤ |weight| < 1.5  light
 *   1.5 ≤ |weight| < 4    medium
 *   4 ≤ |weight|          strong (odds × 55 or more)
 *
 * Noise: function words ("in", "the", "with") and numbers ("0.001", "24", "5%") are highlighted only from
 * |weight| ≥ 1.5, where they do carry weight; below that they are the n-gram features' spill-over, not evidence.
 */
export const SCALE = [
  { level: 1, name: 'light', from: 0.5 },
  { level: 2, name: 'medium', from: 1.5 },
  { level: 3, name: 'strong', from: 4 },
] as const;

export const MIN_WEIGHT = SCALE[0].from;
/** Stop words and numbers need this much to be shown. */
export const NOISE_MIN_WEIGHT = 1.5;

export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or nor but of in on at to for with without within by from as into onto over under about after ' +
    'before during between among than then that this these those it its is are was were be been being has have had ' +
    'do does did not no we our us they their them he his she her i you your which who whom whose what when where why ' +
    'how all any both each more most other some such only own same so too very can may might must shall should will ' +
    'would also via per vs versus while whereas there here up down out off again further once'
  ).split(' '),
);

/** Numbers, percentages, p-values, ranges and punctuation: tokens with no letter. */
const NUMBER_LIKE = /^[^\p{L}]*$/u;

export const isNoise = (text: string): boolean => STOP_WORDS.has(text.toLowerCase()) || NUMBER_LIKE.test(text);

/** 0 (not drawn), or the level 1–3 of a word with this text and weight. */
export function strengthOf(text: string, weight: number): 0 | 1 | 2 | 3 {
  const size = Math.abs(weight);
  if (size < (isNoise(text) ? NOISE_MIN_WEIGHT : MIN_WEIGHT)) return 0;
  return size >= SCALE[2].from ? 3 : size >= SCALE[1].from ? 2 : 1;
}

/** The terms worth showing, in the API's order (|weight| descending), and how many were left out as noise. */
export function shownTerms(evidence: LabelEvidence, count: number): { terms: Term[]; hidden: number } {
  const kept = evidence.terms.filter((t) => strengthOf(t.text, t.weight) > 0);
  return { terms: kept.slice(0, count), hidden: evidence.terms.length - kept.length };
}
