/**
 * Positions in a normalised text (NFKC, lower-cased, ...) mapped back to the text the caller sent, so evidence can
 * be highlighted where the user sees it. Normalisation may change lengths ('ﬁ' → 'fi', 'İ' → 'i̇', '½' → '1⁄2') and
 * may compose characters ('e' + U+0301 → 'é'), so the map is built segment by segment: each segment of the
 * original is normalised on its own, and every normalised code unit it yields points at the whole segment.
 *
 * Segments are as small as gives the same normalised text as normalising the whole: first one code point with its
 * combining marks; if that differs (context-dependent rules: Hangul jamo composition, Greek final sigma), one
 * whitespace-separated run; if that still differs, the whole text (every position then maps to all of it: coarse,
 * never wrong).
 */

export interface NormalizedText {
  /** `normalize(original)`, exactly. */
  text: string;
  /** Per code unit of `text`: the `[start, end)` of the original segment it came from (UTF-16 code units). */
  start: Int32Array;
  end: Int32Array;
}

const MARK = /\p{M}/u;
const SPACE = /\s/u;

/** One code point plus the combining marks after it. */
function clusterBounds(original: string): number[] {
  const bounds = [0];
  let i = 0;
  while (i < original.length) {
    i += original.codePointAt(i)! > 0xffff ? 2 : 1;
    while (i < original.length) {
      const cp = original.codePointAt(i)!;
      if (cp < 0x300 || !MARK.test(String.fromCodePoint(cp))) break;
      i += cp > 0xffff ? 2 : 1;
    }
    bounds.push(i);
  }
  return bounds;
}

/** Runs of whitespace and runs of anything else. */
function whitespaceBounds(original: string): number[] {
  const bounds = [0];
  for (let i = 1; i < original.length; i++) {
    if (SPACE.test(original[i]!) !== SPACE.test(original[i - 1]!)) bounds.push(i);
  }
  if (original.length > 0) bounds.push(original.length);
  return bounds;
}

// Normalised form of each ASCII character, per normaliser: most text is ASCII, so most segments skip the normaliser.
const ASCII_TABLES = new WeakMap<(s: string) => string, string[]>();
function asciiTable(normalize: (s: string) => string): string[] {
  let table = ASCII_TABLES.get(normalize);
  if (!table) {
    table = Array.from({ length: 128 }, (_, c) => normalize(String.fromCharCode(c)));
    ASCII_TABLES.set(normalize, table);
  }
  return table;
}

function mapSegments(
  original: string,
  bounds: readonly number[],
  normalize: (s: string) => string,
  expected: string,
): NormalizedText | undefined {
  const ascii = asciiTable(normalize);
  const start = new Int32Array(expected.length);
  const end = new Int32Array(expected.length);
  let at = 0;
  for (let b = 0; b + 1 < bounds.length; b++) {
    const s = bounds[b]!;
    const e = bounds[b + 1]!;
    const c = e - s === 1 ? original.charCodeAt(s) : -1;
    const piece = c >= 0 && c < 128 ? ascii[c]! : normalize(original.slice(s, e));
    if (!expected.startsWith(piece, at)) return undefined;
    start.fill(s, at, at + piece.length);
    end.fill(e, at, at + piece.length);
    at += piece.length;
  }
  return at === expected.length ? { text: expected, start, end } : undefined;
}

export function normalizeWithOffsets(original: string, normalize: (s: string) => string): NormalizedText {
  const expected = normalize(original);
  return (
    mapSegments(original, clusterBounds(original), normalize, expected) ??
    mapSegments(original, whitespaceBounds(original), normalize, expected) ?? {
      text: expected,
      start: new Int32Array(expected.length).fill(0),
      end: new Int32Array(expected.length).fill(original.length),
    }
  );
}

/** The original span of the normalised range `[start, end)` (non-empty). */
export function originalSpan(map: NormalizedText, start: number, end: number): [number, number] {
  return [map.start[start]!, map.end[end - 1]!];
}
