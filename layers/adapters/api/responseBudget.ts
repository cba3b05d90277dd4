import { CONFIDENCE_LEVELS } from '#core/confidence.ts';
import { LABELS, SHORT_NAMES } from '#core/labels.ts';
import { TEXT_KINDS } from '#model/router.ts';

/**
 * The size bound of every `/predict` answer. Lambda refuses a response payload over 6 MB (the client then gets a
 * 5xx, billed, and alarms fire), and the payload is the handler's result as JSON: the body is escaped once more
 * inside it, so a `"` of the body costs 2 bytes there. Sizes here are therefore counted as Lambda counts them,
 * which is never less than the body's own size.
 *
 * Before any model work, `responseBound` computes an upper bound of the answer from the request alone; a request
 * whose bound exceeds `MAX_RESPONSE_BYTES` is refused (413). The bound is exact about the echoed inputs and the
 * fixed fields, and bounds the evidence by what an explanation can hold: at most `top` words per label, each a
 * word of the normalised text (so never longer than its longest whitespace-separated chunk, and all of a label's
 * words together never longer than the text), at most `maxSpans` spans per word, and never more spans than the
 * text has words. Ordinary requests stay far below it; what exceeds it is a request built to amplify (a text of
 * 20,000 quote characters echoed 64 times, or explanations whose words are huge chunks).
 */

/** The most an answer of `/predict` may weigh, as Lambda counts it (the body escaped inside the result's JSON). */
export const MAX_RESPONSE_BYTES = 4_000_000;

/** Spans listed per word of an explanation; `spans_omitted` counts the rest. */
export const MAX_SPANS_PER_TERM = 20;

/**
 * What each kind of UTF-16 code unit costs, in UTF-8 bytes, JSON-escaped once (as JSON.stringify writes a string's
 * content) and twice (a string value of the body inside Lambda's result, where every backslash of the first escape
 * is escaped again): `"` and `\\` take 2 then 4, \b \f \n \r \t 2 then 3, other control characters and lone
 * surrogates 6 then 7 (`\u0001`, `\\u0001`); everything else its UTF-8 length, both times.
 */
const COSTS = {
  once: { quote: 2, shortEscape: 2, unicodeEscape: 6 },
  twice: { quote: 4, shortEscape: 3, unicodeEscape: 7 },
} as const;

function escapedCost(costs: (typeof COSTS)[keyof typeof COSTS], text: string, from: number, to: number): number {
  let bytes = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) bytes += costs.quote;
    else if (c === 0x08 || c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d) bytes += costs.shortEscape;
    else if (c < 0x20) bytes += costs.unicodeEscape;
    else if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) bytes += costs.unicodeEscape;
    else bytes += 3;
  }
  return bytes;
}

/** UTF-8 bytes of `text[from, to)` JSON-escaped once (the content of a string in a JSON document). */
export const escapedBytes = (text: string, from = 0, to = text.length): number =>
  escapedCost(COSTS.once, text, from, to);

/** The same text escaped twice: a string value of the body, as it stands in Lambda's result. */
export const doublyEscapedBytes = (text: string, from = 0, to = text.length): number =>
  escapedCost(COSTS.twice, text, from, to);

const isLowSurrogate = (c: number): boolean => c >= 0xdc00 && c <= 0xdfff;

/** What a JSON body weighs in the payload: the body as a JSON string (escaped, with its quotes). */
export const bodyPayloadBytes = (body: string): number => escapedBytes(body) + 2;

/** A string value of the body (`"…"`), in the payload: its content escaped twice, and its quotes (`\"` each). */
const stringValue = (text: string): number => doublyEscapedBytes(text) + 4;

// The longest JSON a double can take: every number of the bound is counted at it.
const LONGEST_NUMBER = -1.2345678901234567e-6; // "-0.0000012345678901234567", 25 characters
const LONGEST_KIND = TEXT_KINDS.reduce((a, b) => (b.length > a.length ? b : a));
const LONGEST_CONFIDENCE = CONFIDENCE_LEVELS.reduce((a, b) => (b.length > a.length ? b : a));

/** An answer element's weight without `input`'s content (its empty `""` taken out), every number at its longest. */
const PREDICTION_FIXED =
  escapedBytes(
    JSON.stringify({
      input: '',
      proba: Object.fromEntries(SHORT_NAMES.map((s) => [s, LONGEST_NUMBER])),
      labels_short: [...SHORT_NAMES],
      labels: [...LABELS],
      kind: LONGEST_KIND,
      confidence: LONGEST_CONFIDENCE,
    }),
  ) - 4;

/** `,"explanation":{…}` with every label's fixed fields and empty `terms`, numbers at their longest. */
const EXPLANATION_FIXED =
  escapedBytes(
    JSON.stringify({
      explanation: Object.fromEntries(
        SHORT_NAMES.map((s) => [s, { logit: LONGEST_NUMBER, bias: LONGEST_NUMBER, terms: [], rest: LONGEST_NUMBER }]),
      ),
    }),
  ) -
  2 +
  1;

/** One term without its `text`'s content and with empty `spans`, and the comma after it. */
const termFixed = (omittedDigits: number): number =>
  escapedBytes(
    JSON.stringify({ text: '', weight: LONGEST_NUMBER, spans: [], spans_omitted: 10 ** (omittedDigits - 1) }),
  ) -
  4 +
  1;

const digits = (n: number): number => String(Math.max(0, Math.floor(n))).length;
const WHITESPACE = /\s/;

/** What the evidence of one text can hold, from the text alone. */
interface TextShape {
  /** The normalised text's content, escaped twice: all of a label's words together weigh no more. */
  content: number;
  /** Its longest whitespace-separated chunk, escaped twice: no word weighs more. */
  longestChunk: number;
  /** An upper bound of its words: a chunk holds at most max(1, ⌊(length + 1) / 3⌋) (tokens are ≥ 2 characters apart). */
  words: number;
}

function shapeOf(normalized: string): TextShape {
  let longestChunk = 0;
  let words = 0;
  let start = -1;
  const close = (end: number) => {
    if (start < 0) return;
    longestChunk = Math.max(longestChunk, doublyEscapedBytes(normalized, start, end));
    words += Math.max(1, Math.floor((end - start + 1) / 3));
    start = -1;
  };
  for (let i = 0; i < normalized.length; i++) {
    if (WHITESPACE.test(normalized[i]!)) close(i);
    else if (start < 0) start = i;
  }
  close(normalized.length);
  return { content: doublyEscapedBytes(normalized), longestChunk, words };
}

export interface ExplainShape {
  top: number;
  maxSpans: number;
}

/**
 * An upper bound of `bodyPayloadBytes` of the answer for these inputs, from the request alone.
 * `normalize` is what the model reads (NFKC and lower case): explanation words are pieces of it.
 */
export function responseBound(
  inputs: readonly string[],
  explain: ExplainShape | undefined,
  normalize: (text: string) => string,
): number {
  let bytes = 2 + 2 + Math.max(0, inputs.length - 1);
  for (const input of inputs) {
    bytes += PREDICTION_FIXED + stringValue(input);
    if (!explain) continue;
    const shape = shapeOf(normalize(input));
    const terms = Math.min(explain.top, shape.words);
    const spans = Math.min(terms * explain.maxSpans, shape.words);
    const span = 2 * digits(input.length) + 3 + 1;
    const perLabel =
      terms * termFixed(digits(shape.words)) + spans * span + Math.min(shape.content, terms * shape.longestChunk);
    bytes += EXPLANATION_FIXED + LABELS.length * perLabel;
  }
  return bytes;
}
