/**
 * Hashed n-grams of a text: word 1..2-grams and within-word character n-grams (scikit-learn's `char_wb`), the two
 * feature blocks of every expert. Features are hashed (FNV-1a over UTF-16 code units, then an avalanche) instead of
 * kept in a vocabulary: no strings are built for n-grams, and a model stores only the buckets it uses.
 * Training, serving and evidence all extract through this module, so they cannot drift apart.
 *
 * One pass over the text: each whitespace-separated chunk is copied once (lower-cased, padded with a space each side)
 * into a scratch buffer, its character n-grams are hashed from there, and its word tokens are found in the same
 * chunk. Word n-grams are emitted as their last token is found, longest first, which gives exactly the order of
 * "each token, then the n-grams starting at it" for 1..2-grams. No allocation per text (buffers grow to the longest
 * text seen); NFKC is skipped for pure-ASCII text, where it is the identity.
 */

import { LITTLE_ENDIAN } from '#core/endianness.ts';
import { isAscii } from '#core/text.ts';

export interface NgramConfig {
  /** log2 of the hash space. */
  hashBits: number;
  wordNgrams: [number, number];
  charNgrams: [number, number];
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
// Distinct seeds keep word and character features apart in the shared hash space.
const WORD_SEED = 0x9e3779b9;
const CHAR_SEED = 0x85ebca6b;
const BIGRAM_MIX = 0x27d4eb2f;

/** NFKC and lower-casing: the normalisation the reference pipeline applied before vectorising. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

const NODE_BUFFER = (globalThis as { Buffer?: typeof Buffer }).Buffer;

const WORD_RE = /[\p{L}\p{M}\p{N}\p{Pc}]/u;
const SPACE_RE = /\s/u;
// Python's `\w` in Unicode mode: letters, marks, digits, connector punctuation.
const isWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) ||
  (c >= 48 && c <= 57) ||
  c === 95 ||
  (c >= 65 && c <= 90) ||
  (c > 127 && WORD_RE.test(String.fromCharCode(c)));
const isSpace = (c: number): boolean =>
  c === 32 ||
  (c >= 9 && c <= 13) ||
  c === 0xa0 ||
  c === 0x2028 ||
  c === 0x2029 ||
  (c > 127 && SPACE_RE.test(String.fromCharCode(c)));

/**
 * Avalanche so that low bits (the ones the mask keeps) depend on every input bit and on the n-gram length. Kept in
 * int32 arithmetic throughout (callers keep only the low bits): a uint32 result above 2^31 would be a heap number.
 */
function finalize(h: number, len: number): number {
  let x = h ^ Math.imul(len, 0x9e3779b1);
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return x ^ (x >>> 16);
}

/** The key of the token sequence `hashes[from .. from + len)`: word n-gram buckets and lexicon terms use it alike. */
export function sequenceKey(hashes: ArrayLike<number>, from: number, len: number): number {
  let h = hashes[from]!;
  for (let j = from + 1; j < from + len; j++) h = Math.imul((h ^ BIGRAM_MIX) + hashes[j]!, FNV_PRIME);
  return finalize(h, len);
}

/** The word tokens of a normalised text (runs of two or more word characters), as extraction finds them. */
export function wordTokens(normalized: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < normalized.length) {
    while (i < normalized.length && !isWordChar(normalized.charCodeAt(i))) i++;
    const start = i;
    while (i < normalized.length && isWordChar(normalized.charCodeAt(i))) i++;
    if (i - start >= 2) tokens.push(normalized.slice(start, i));
  }
  return tokens;
}

/**
 * The hash of each word token of a text (FNV-1a over its code units, lower-cased), as extraction computes them (NFKC
 * skipped for pure ASCII), without a string per token: the lexicon hashes its thousands of terms with it. `out` grows
 * as needed; the view is valid until the next call with the same `out`.
 */
export function tokenHashes(text: string, out: { buffer: Int32Array }): Int32Array {
  const normalized = isAscii(text) ? text.toLowerCase() : normalizeText(text);
  if (out.buffer.length < normalized.length) out.buffer = new Int32Array(normalized.length);
  const hashes = out.buffer;
  let count = 0;
  let i = 0;
  while (i < normalized.length) {
    while (i < normalized.length && !isWordChar(normalized.charCodeAt(i))) i++;
    const start = i;
    let h = FNV_OFFSET ^ WORD_SEED;
    for (; i < normalized.length; i++) {
      const c = normalized.charCodeAt(i);
      if (!isWordChar(c)) break;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (i - start >= 2) hashes[count++] = h;
  }
  return hashes.subarray(0, count);
}

/** Hashed occurrences of one text, per block, in extraction order (buckets may repeat). Views valid until the next call. */
export interface Ngrams {
  word: Int32Array;
  char: Int32Array;
  /** The hash of each word token, in text order (as `tokenHashes` computes them). */
  tokens: Int32Array;
}

/**
 * Where each occurrence came from, in positions of the normalised text (UTF-16 code units), for explanations.
 * Only filled by an extractor created with `{ origins: true }`.
 */
export interface NgramOrigins {
  /** `[start, end)` pairs of the word tokens (`\w\w+`), in text order. */
  tokens: Int32Array;
  /** `[start, end)` pairs of the whitespace-separated chunks `char_wb` works on, in text order. */
  chunks: Int32Array;
  /** Per word occurrence (same order as `Ngrams.word`): the indices of its first and last token. */
  word: Int32Array;
  /**
   * Per character occurrence (same order as `Ngrams.char`): the `[start, end)` range of text characters the n-gram
   * covers; padding spaces count as the chunk's first or last character (an n-gram of padding only).
   */
  char: Int32Array;
}

/** A growable int list for the explanation path only (the prediction path writes into presized arrays). */
class IntList {
  data = new Int32Array(256);
  length = 0;
  push(a: number, b: number): void {
    if (this.length + 2 > this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = a;
    this.data[this.length++] = b;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

class OriginLists {
  readonly tokens = new IntList();
  readonly chunks = new IntList();
  readonly word = new IntList();
  readonly char = new IntList();
  reset(): void {
    this.tokens.length = this.chunks.length = this.word.length = this.char.length = 0;
  }
}

export interface ExtractorOptions {
  /** Record `NgramOrigins` beside the occurrences (explanations); off for plain prediction. */
  origins?: boolean;
}

/** Extracts hashed n-gram occurrences. One instance per thread: it reuses its buffers. */
export class NgramExtractor {
  readonly config: NgramConfig;
  private readonly mask: number;
  private readonly wordMin: number;
  private readonly wordMax: number;
  private readonly charMin: number;
  private readonly charMax: number;
  private wordBuf = new Int32Array(0);
  private charBuf = new Int32Array(0);
  private tokenBuf = new Int32Array(0);
  private wordLength = 0;
  private charLength = 0;
  /** The current chunk, lower-cased and padded with a space each side. */
  private padded = new Uint16Array(0);
  /** Hashes of the last `wordMax` tokens, the newest last, and how many tokens the text has had. */
  private readonly recent: Int32Array;
  private tokenCount = 0;
  /**
   * The text being extracted, as UTF-16 code units (reading a typed array is cheaper than `charCodeAt`; in Node the
   * copy is one native write), its length, and the position after the last chunk read.
   */
  private units: Uint16Array<ArrayBufferLike> = new Uint16Array(0);
  // A Buffer from the start where there is one (see reserve), so that the field never changes kind.
  private unitsBytes: Buffer | undefined = NODE_BUFFER && LITTLE_ENDIAN ? NODE_BUFFER.allocUnsafeSlow(0) : undefined;
  private length = 0;
  private at = 0;
  /** Where the current chunk starts in the text, and the FNV-1a hash of its padded code units (cache keys). */
  chunkStart = 0;
  chunkHash = 0;
  // Null unless asked for: the prediction path pays one predictable branch per token or chunk, never per n-gram.
  private readonly trace: OriginLists | null;

  constructor(config: NgramConfig, options: ExtractorOptions = {}) {
    this.config = config;
    this.mask = (1 << config.hashBits) - 1;
    [this.wordMin, this.wordMax] = config.wordNgrams;
    [this.charMin, this.charMax] = config.charNgrams;
    this.recent = new Int32Array(this.wordMax);
    this.trace = options.origins ? new OriginLists() : null;
  }

  /** Occurrences of a raw text's features (normalised here: NFKC and lower case). */
  extract(text: string): Ngrams {
    return this.extractNormalized(isAscii(text) ? text : normalizeText(text));
  }

  /**
   * Occurrences of an already normalised text (`normalizeText`), as the explanation path has it. ASCII upper case
   * is lowered on the fly, so a raw pure-ASCII text may come here too: for it NFKC is the identity.
   */
  extractNormalized(text: string): Ngrams {
    this.beginNormalized(text);
    for (let len = this.nextChunk(); len > 0; len = this.nextChunk()) this.chunkNgrams(len);
    return this.result();
  }

  /**
   * Starts a raw text (normalised here) for chunk-at-a-time extraction: `nextChunk` until it returns 0, and for each
   * chunk either `chunkNgrams` or (a chunk whose n-grams a cache already has) `replayToken` per token; then `result`.
   * `extract` is exactly this with `chunkNgrams` for every chunk.
   */
  begin(text: string): void {
    this.beginNormalized(isAscii(text) ? text : normalizeText(text));
  }

  /** `begin` for an already normalised text (or a raw pure-ASCII one). */
  beginNormalized(text: string): void {
    this.reserve(text.length);
    this.wordLength = this.charLength = this.tokenCount = 0;
    this.trace?.reset();
    this.length = text.length;
    this.at = 0;
    if (this.unitsBytes) this.unitsBytes.write(text, 0, 'utf16le');
    else for (let i = 0; i < text.length; i++) this.units[i] = text.charCodeAt(i);
  }

  /**
   * Copies the next whitespace-separated chunk into `chunk` (lower-cased, a space each side) and hashes it into
   * `chunkHash`; returns its padded length, or 0 when the text has no more chunks.
   */
  nextChunk(): number {
    const units = this.units;
    const n = this.length;
    const padded = this.padded;
    let i = this.at;
    let c = 0;
    for (; i < n; i++) {
      c = units[i]!;
      if (!isSpace(c)) break;
    }
    if (i >= n) {
      this.at = n;
      return 0;
    }
    const start = i;
    let len = 1;
    let h = FNV_OFFSET;
    padded[0] = 32;
    for (;;) {
      const lower = c >= 65 && c <= 90 ? c + 32 : c;
      padded[len++] = lower;
      h = Math.imul(h ^ lower, FNV_PRIME);
      if (++i >= n) break;
      c = units[i]!;
      // Printable ASCII (nearly every character of a chunk) is never white space: one range check instead of isSpace's.
      if ((c <= 32 || c >= 127) && isSpace(c)) break;
    }
    padded[len++] = 32;
    this.at = i;
    this.chunkStart = start;
    this.chunkHash = h;
    return len;
  }

  /** The current chunk's n-grams: its character n-grams, then its tokens and the word n-grams each token ends. */
  chunkNgrams(len: number): void {
    this.chars(len);
    if (this.trace) this.charOrigins(this.chunkStart, this.chunkStart + len - 2);
    this.tokens(this.chunkStart, len);
  }

  /**
   * A token of a chunk whose n-grams are known (a cache): its hash joins the tokens and ends its word n-grams, as
   * `chunkNgrams` would have done. Not for extractors that record origins.
   */
  replayToken(hash: number): void {
    if (this.trace) throw new Error('replayToken cannot record origins');
    this.token(hash, 0, 0);
  }

  /** Character occurrences so far in this text (`charBuffer[0 .. charCount)`). */
  get charCount(): number {
    return this.charLength;
  }

  /** Tokens so far in this text (`tokenBuffer[0 .. tokenCount)`). */
  get tokensSoFar(): number {
    return this.tokenCount;
  }

  /** The buffers `result` views; valid until the next text. */
  get charBuffer(): Int32Array {
    return this.charBuf;
  }

  get tokenBuffer(): Int32Array {
    return this.tokenBuf;
  }

  /** Character occurrences a text of the current length can have at most (buffers are sized for them). */
  get charCapacity(): number {
    return this.charBuf.length;
  }

  /** The current chunk, padded: `chunk[0 .. len)` for the length `nextChunk` returned. */
  get chunk(): Uint16Array {
    return this.padded;
  }

  /** The occurrences of the text so far; views valid until the next text. */
  result(): Ngrams {
    return {
      word: this.wordBuf.subarray(0, this.wordLength),
      char: this.charBuf.subarray(0, this.charLength),
      tokens: this.tokenBuf.subarray(0, this.tokenCount),
    };
  }

  /** The origins of the last call's occurrences; views valid until the next call. */
  origins(): NgramOrigins {
    const t = this.trace;
    if (!t) throw new Error('this NgramExtractor was created without { origins: true }');
    return { tokens: t.tokens.view(), chunks: t.chunks.view(), word: t.word.view(), char: t.char.view() };
  }

  /** Sizes every buffer for a text of `n` code units, so the loops below never check bounds. */
  private reserve(n: number): void {
    // Tokens have at least two characters and are separated, so there are at most (n + 1) / 3 of them; each ends
    // at most `wordMax` n-grams. A chunk of m characters has at most m + 2 n-grams of each length (padding).
    const words = (Math.floor((n + 1) / 3) + 1) * this.wordMax;
    const chars = (2 * n + 2) * (this.charMax - this.charMin + 1) + 1;
    if (this.wordBuf.length < words) this.wordBuf = new Int32Array(Math.max(words, 2 * this.wordBuf.length));
    if (this.tokenBuf.length < words) this.tokenBuf = new Int32Array(Math.max(words, 2 * this.tokenBuf.length));
    if (this.charBuf.length < chars) this.charBuf = new Int32Array(Math.max(chars, 2 * this.charBuf.length));
    if (this.padded.length < n + 2) this.padded = new Uint16Array(Math.max(n + 2, 2 * this.padded.length));
    if (this.units.length < n) {
      const size = Math.max(n, 2 * this.units.length);
      // Buffer's UTF-16LE write is the code units themselves on a little-endian host (every Lambda architecture).
      this.unitsBytes = NODE_BUFFER && LITTLE_ENDIAN ? NODE_BUFFER.allocUnsafeSlow(2 * size) : undefined;
      this.units = this.unitsBytes
        ? new Uint16Array(this.unitsBytes.buffer, this.unitsBytes.byteOffset, size)
        : new Uint16Array(size);
    }
  }

  /** Word tokens of the chunk in `padded` (runs of two or more word characters; white space is never one). */
  private tokens(start: number, len: number): void {
    const padded = this.padded;
    let q = 1;
    while (q < len - 1) {
      while (q < len - 1 && !isWordChar(padded[q]!)) q++;
      const from = q;
      let h = FNV_OFFSET ^ WORD_SEED;
      while (q < len - 1 && isWordChar(padded[q]!)) {
        h = Math.imul(h ^ padded[q]!, FNV_PRIME);
        q++;
      }
      if (q - from >= 2) this.token(h, start + from - 1, start + q - 1);
    }
  }

  /** scikit-learn's `char_wb`: every n-gram of the padded chunk; a padded chunk shorter than every n, once whole. */
  private chars(len: number): void {
    const padded = this.padded;
    const buf = this.charBuf;
    const mask = this.mask;
    const minN = this.charMin;
    const maxN = this.charMax;
    let k = this.charLength;
    if (len < minN) {
      let h = FNV_OFFSET ^ CHAR_SEED;
      for (let p = 0; p < len; p++) h = Math.imul(h ^ padded[p]!, FNV_PRIME);
      buf[k++] = finalize(h, len) & mask;
      this.charLength = k;
      return;
    }
    // From each start, the hash grows one character at a time; lengths below minN are never emitted.
    for (let p = 0; p + minN <= len; p++) {
      let h = FNV_OFFSET ^ CHAR_SEED;
      for (let m = 1; m < minN; m++) h = Math.imul(h ^ padded[p + m - 1]!, FNV_PRIME);
      const last = Math.min(maxN, len - p);
      for (let m = minN; m <= last; m++) {
        h = Math.imul(h ^ padded[p + m - 1]!, FNV_PRIME);
        buf[k++] = finalize(h, m) & mask;
      }
    }
    this.charLength = k;
  }

  /** A new token: the word n-grams that end with it, longest first. */
  private token(hash: number, start: number, end: number): void {
    const maxN = this.wordMax;
    const recent = this.recent;
    // A shift register of the last `maxN` token hashes, the newest last (no modulo on this path).
    for (let j = 0; j + 1 < maxN; j++) recent[j] = recent[j + 1]!;
    recent[maxN - 1] = hash;
    const t = this.tokenCount++;
    this.tokenBuf[t] = hash;
    const trace = this.trace;
    if (trace) trace.tokens.push(start, end);
    const longest = Math.min(maxN, t + 1);
    for (let len = longest; len >= this.wordMin; len--) {
      this.wordBuf[this.wordLength++] = sequenceKey(recent, maxN - len, len) & this.mask;
      if (trace) trace.word.push(t - len + 1, t);
    }
  }

  /** The text range each n-gram of one chunk covers, in the order `chars` emits them. */
  private charOrigins(start: number, end: number): void {
    const { chunks, char: out } = this.trace!;
    chunks.push(start, end);
    const len = end - start + 2;
    if (len < this.charMin) {
      out.push(start, end);
      return;
    }
    for (let p = 0; p < len; p++) {
      const last = Math.min(this.charMax, len - p);
      for (let m = this.charMin; m <= last; m++) {
        // Padded positions 1..len-2 are text characters start..end-1; a window of padding only belongs to its
        // neighbouring character, so every occurrence covers at least one character.
        let lo = Math.max(p, 1);
        let hi = Math.min(p + m - 1, len - 2);
        if (lo > hi) lo = hi = p === 0 ? 1 : len - 2;
        out.push(start + lo - 1, start + hi);
      }
    }
  }
}
