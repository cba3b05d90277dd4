import { modelLengthOver } from '#core/text.ts';

/** Bounds of a `POST /predict` request that its zod schema (predictRequest.ts) and its fast path share. */

/**
 * `explain_top` × the number of texts, at most: what one request's `explanation`s may list per label (16 texts ×
 * 100 words, or 64 × 25). Together with the spans cap per word (`MAX_SPANS_PER_TERM`) it keeps an explained answer
 * far below Lambda's 6 MB response limit; see `responseBudget.ts`.
 */
export const MAX_EXPLAINED_TERMS = 1_600;

/** The text's length as the model reads it (after NFKC), as a string, when that alone takes it over `max`. */
export function tooLongAfterNfkc(max: number, text: string): string | undefined {
  if (text.length > max) return undefined; // already reported, in characters sent
  const read = modelLengthOver(text, max);
  return read === undefined ? undefined : `${read}`;
}
