/**
 * Hashed TF-IDF features: word 1..2-grams and within-word character n-grams (scikit-learn's `char_wb`),
 * each block L2-normalised on its own, as the reference scikit-learn pipeline does with a FeatureUnion.
 *
 * Features are hashed (FNV-1a over UTF-16 code units) instead of kept in a vocabulary: no strings are built
 * for n-grams, so extraction runs at millions of n-grams per second, and the model stores only the buckets it uses.
 * Training and prediction share this module, so they cannot drift apart.
 */

export interface FeatureConfig {
  /** log2 of the hash space. */
  hashBits: number;
  wordNgrams: [number, number];
  charNgrams: [number, number];
  /** Use 1 + ln(tf) instead of raw counts (TF-IDF weighting only). */
  sublinearTf: boolean;
  /**
   * `tfidf` (default): (sublinear) tf × IDF, each block L2-normalised. `binary`: 1 for every feature present, the row
   * (both blocks) scaled by nnz^-rowScalePower: one mention of a disease term in a long abstract counts as much as
   * ten, which is what decides labels in real abstracts.
   */
  weighting?: 'tfidf' | 'binary';
  /** Binary weighting only: each row is multiplied by (number of distinct features present)^-rowScalePower. */
  rowScalePower?: number;
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

/** Hashed feature occurrences of one text, per block; buckets may repeat (counted later). */
export interface RawFeatures {
  word: Int32Array;
  char: Int32Array;
}

// Python's `\w` in Unicode mode: letters, marks, digits, connector punctuation.
const isWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) ||
  (c >= 48 && c <= 57) ||
  c === 95 ||
  (c >= 65 && c <= 90) ||
  (c > 127 && WORD_RE.test(String.fromCharCode(c)));
const WORD_RE = /[\p{L}\p{M}\p{N}\p{Pc}]/u;
const isSpace = (c: number): boolean =>
  c === 32 ||
  (c >= 9 && c <= 13) ||
  c === 0xa0 ||
  c === 0x2028 ||
  c === 0x2029 ||
  (c > 127 && SPACE_RE.test(String.fromCharCode(c)));
const SPACE_RE = /\s/u;

class IntBuffer {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  reset(): void {
    this.length = 0;
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Where each occurrence came from, in positions of the normalised text (UTF-16 code units), for explanations.
 * Only filled by an extractor created with `{ origins: true }`.
 */
export interface FeatureOrigins {
  /** `[start, end)` pairs of the word tokens (`\w\w+`), in text order. */
  tokens: Int32Array;
  /** `[start, end)` pairs of the whitespace-separated chunks `char_wb` works on, in text order. */
  chunks: Int32Array;
  /** Per word occurrence (same order as `RawFeatures.word`): the indices of its first and last token. */
  word: Int32Array;
  /**
   * Per character occurrence (same order as `RawFeatures.char`): the `[start, end)` range of text characters the
   * n-gram covers; padding spaces count as the chunk's first or last character (an n-gram of padding only).
   */
  char: Int32Array;
}

export interface ExtractorOptions {
  /** Record `FeatureOrigins` beside the occurrences (explanations); off for plain prediction. */
  origins?: boolean;
}

class OriginBuffers {
  readonly tokens = new IntBuffer(512);
  readonly chunks = new IntBuffer(512);
  readonly word = new IntBuffer(2048);
  readonly char = new IntBuffer(16384);
  reset(): void {
    this.tokens.reset();
    this.chunks.reset();
    this.word.reset();
    this.char.reset();
  }
}

/** Extracts hashed n-gram occurrences. One instance per thread: it reuses its buffers. */
export class FeatureExtractor {
  readonly config: FeatureConfig;
  private readonly mask: number;
  private readonly wordBuf = new IntBuffer(1024);
  private readonly charBuf = new IntBuffer(8192);
  private readonly tokenHashes = new IntBuffer(256);
  // Null unless asked for: the prediction path pays one predictable branch per token or chunk, never per n-gram.
  private readonly trace: OriginBuffers | null;

  constructor(config: FeatureConfig, options: ExtractorOptions = {}) {
    this.config = config;
    this.mask = (1 << config.hashBits) - 1;
    this.trace = options.origins ? new OriginBuffers() : null;
  }

  /** Occurrences of the normalised text's features. The returned arrays are views valid until the next call. */
  extract(normalized: string): RawFeatures {
    this.wordBuf.reset();
    this.charBuf.reset();
    this.trace?.reset();
    this.words(normalized);
    this.chars(normalized);
    return { word: this.wordBuf.view(), char: this.charBuf.view() };
  }

  /** The origins of the last `extract` call's occurrences; views valid until the next call. */
  origins(): FeatureOrigins {
    const t = this.trace;
    if (!t) throw new Error('this FeatureExtractor was created without { origins: true }');
    return { tokens: t.tokens.view(), chunks: t.chunks.view(), word: t.word.view(), char: t.char.view() };
  }

  /** scikit-learn's default token pattern `(?u)\b\w\w+\b`, then n-grams of consecutive tokens. */
  private words(text: string): void {
    const [minN, maxN] = this.config.wordNgrams;
    const hashes = this.tokenHashes;
    hashes.reset();
    let i = 0;
    const n = text.length;
    while (i < n) {
      while (i < n && !isWordChar(text.charCodeAt(i))) i++;
      const start = i;
      let h = FNV_OFFSET ^ WORD_SEED;
      while (i < n && isWordChar(text.charCodeAt(i))) {
        h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
        i++;
      }
      if (i - start >= 2) {
        hashes.push(h);
        if (this.trace) {
          this.trace.tokens.push(start);
          this.trace.tokens.push(i);
        }
      }
    }
    const toks = hashes.view();
    for (let t = 0; t < toks.length; t++) {
      let h = toks[t]!;
      for (let len = 1; len <= maxN && t + len <= toks.length; len++) {
        if (len > 1) h = Math.imul((h ^ BIGRAM_MIX) + toks[t + len - 1]!, FNV_PRIME);
        if (len >= minN) this.wordBuf.push(finalize(h, len) & this.mask);
      }
    }
    if (this.trace) this.wordOrigins(toks.length, minN, maxN);
  }

  /** The token range of each word n-gram, in the order `words` emits them. */
  private wordOrigins(tokens: number, minN: number, maxN: number): void {
    const out = this.trace!.word;
    for (let t = 0; t < tokens; t++) {
      for (let len = 1; len <= maxN && t + len <= tokens; len++) {
        if (len < minN) continue;
        out.push(t);
        out.push(t + len - 1);
      }
    }
  }

  /** scikit-learn's `char_wb`: n-grams inside each whitespace-separated word padded with one space each side. */
  private chars(text: string): void {
    const [minN, maxN] = this.config.charNgrams;
    const n = text.length;
    let i = 0;
    while (i < n) {
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (i >= n) break;
      const start = i;
      while (i < n && !isSpace(text.charCodeAt(i))) i++;
      this.wordChars(text, start, i, minN, maxN);
      if (this.trace) this.charOrigins(start, i, minN, maxN);
    }
  }

  /** The text range each n-gram of one chunk covers, in the order `wordChars` emits them. */
  private charOrigins(start: number, end: number, minN: number, maxN: number): void {
    const { chunks, char: out } = this.trace!;
    chunks.push(start);
    chunks.push(end);
    const len = end - start + 2;
    if (len < minN) {
      out.push(start);
      out.push(end);
      return;
    }
    for (let p = 0; p < len; p++) {
      for (let k = 0; k < maxN && p + k < len; k++) {
        if (k + 1 < minN) continue;
        // Padded positions 1..len-2 are text characters start..end-1; a window of padding only belongs to its
        // neighbouring character, so every occurrence covers at least one character.
        let lo = Math.max(p, 1);
        let hi = Math.min(p + k, len - 2);
        if (lo > hi) lo = hi = p === 0 ? 1 : len - 2;
        out.push(start + lo - 1);
        out.push(start + hi);
      }
    }
  }

  private wordChars(text: string, start: number, end: number, minN: number, maxN: number): void {
    // Padded word: ' ' + text[start..end) + ' '; position p in 0..len-1 maps to a code unit.
    const len = end - start + 2;
    const at = (p: number): number => (p === 0 || p === len - 1 ? 32 : text.charCodeAt(start + p - 1));
    if (len < minN) {
      // scikit-learn emits the whole padded word once when it is shorter than every n.
      let h = FNV_OFFSET ^ CHAR_SEED;
      for (let p = 0; p < len; p++) h = Math.imul(h ^ at(p), FNV_PRIME);
      this.charBuf.push(finalize(h, len) & this.mask);
      return;
    }
    for (let p = 0; p < len; p++) {
      let h = FNV_OFFSET ^ CHAR_SEED;
      for (let k = 0; k < maxN && p + k < len; k++) {
        h = Math.imul(h ^ at(p + k), FNV_PRIME);
        if (k + 1 >= minN) this.charBuf.push(finalize(h, k + 1) & this.mask);
      }
    }
  }
}

/** Avalanche so that low bits (the ones the mask keeps) depend on every input bit and on the n-gram length. */
function finalize(h: number, len: number): number {
  let x = (h ^ Math.imul(len, 0x9e3779b1)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Sorted distinct buckets and their counts: the term-frequency vector of one block. */
export interface SparseCounts {
  index: Int32Array;
  count: Float64Array;
}

export function countOccurrences(occurrences: Int32Array): SparseCounts {
  const sorted = Int32Array.from(occurrences).sort();
  let distinct = 0;
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++;
  const index = new Int32Array(distinct);
  const count = new Float64Array(distinct);
  let k = -1;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[i - 1]) index[++k] = sorted[i]!;
    count[k]! += 1;
  }
  return { index, count };
}
