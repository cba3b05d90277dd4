/**
 * The kind of a text, decided before any model sees it. The training file mixes two populations that label the same
 * words differently, and users also send one-liners; the embedded model keeps one expert per kind, and reports and
 * metrics are broken down by kind so that no average hides the kind users care about.
 *
 * - `template`: the synthetic texts that make up 57 % of `challenge_train.csv`. Their abstract opens with one of a
 *   few fixed phrases ("Hypothesis: ", "Aim: ", ... written exactly so, mixed case) and closes with one of ten fixed
 *   conclusions ("Conclusion: clinical relevance.", ...), and the whole text is short. All three must hold, so a real
 *   abstract that merely starts with "Background:" (PubMed writes "BACKGROUND:") is never a template.
 * - `snippet`: a short input such as a title or a single sentence: at most `SNIPPET_MAX_TOKENS` word tokens (runs of
 *   two or more word characters, the tokens the models count). The cut-off was chosen by cross-validation on titles
 *   and first sentences derived from the training rows (`scripts/select-model.ts --kinds`).
 * - `real`: everything else, i.e. real abstracts.
 *
 * The rule works on the model's input text (`title + " " + abstract`), so every entry point decides the same kind.
 */

export const TEXT_KINDS = ['real', 'template', 'snippet'] as const;
export type TextKind = (typeof TEXT_KINDS)[number];

/** Chosen by cross-validation on derived snippets; see the module comment. */
export const SNIPPET_MAX_TOKENS = 24;

/** The longest template text in the training data is 456 characters (title + abstract); real abstracts are longer. */
export const TEMPLATE_MAX_CHARS = 600;

const TEMPLATE_OPENINGS = [
  'Hypothesis: ',
  'Background: ',
  'Research question: ',
  'Aim: ',
  'Study design: ',
  'Purpose: ',
  'Objective: ',
  'This investigation examined the effects of ',
] as const;

const TEMPLATE_CONCLUSIONS = [
  'clinical practice guidelines',
  'therapeutic innovation',
  'need for further investigation',
  'cost-effectiveness implications',
  'potential therapeutic benefits',
  'healthcare advancement',
  'patient care improvement',
  'safety considerations',
  'clinical relevance',
  'treatment optimization',
] as const;

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Case-sensitive on purpose: the templates are written exactly so, and real abstracts use other casings.
const OPENING_RE = new RegExp(`(?:^|\\s)(?:${TEMPLATE_OPENINGS.map(escapeRegExp).join('|')})`);
const CLOSING_RE = new RegExp(
  `(?:Conclusion: |Implications: |These findings suggest )(?:${TEMPLATE_CONCLUSIONS.map(escapeRegExp).join('|')})\\.$`,
);
const TOKEN_RE = /[\p{L}\p{M}\p{N}\p{Pc}]{2,}/gu;

export function isTemplateText(text: string): boolean {
  const trimmed = text.trim();
  return trimmed.length <= TEMPLATE_MAX_CHARS && CLOSING_RE.test(trimmed) && OPENING_RE.test(trimmed);
}

/** Word tokens as the models see them (two or more word characters), counted up to `limit + 1`. */
export function countTokens(text: string, limit = Number.POSITIVE_INFINITY): number {
  let n = 0;
  TOKEN_RE.lastIndex = 0;
  while (TOKEN_RE.exec(text) !== null) if (++n > limit) break;
  return n;
}

/** The kind of a model input text (`title + " " + abstract`). */
export function kindOf(text: string, snippetMaxTokens: number = SNIPPET_MAX_TOKENS): TextKind {
  if (isTemplateText(text)) return 'template';
  if (countTokens(text, snippetMaxTokens) <= snippetMaxTokens) return 'snippet';
  return 'real';
}
