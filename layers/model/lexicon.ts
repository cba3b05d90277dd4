import { LITTLE_ENDIAN } from '#core/endianness.ts';
import { ModelLoadError } from '#core/errors.ts';
import { LABELS } from '#core/labels.ts';
import type { LexiconFile } from './linearConfigSchema.ts';
import { sequenceKey, tokenHashes } from './ngrams.ts';

/**
 * The medical lexicon of a model folder (`lexicon.json`, built from WordNet by the trainer) and its matcher: per label,
 * terms of one or more words. A text's matches are counted per label, longest match first, left to right, on the
 * text's word tokens (the tokens the word features see), so "acute renal failure" counts once, not three times.
 * The counts feed four features, log(1 + matches) per label (the vectorizer's lexicon block), and the confidence rule.
 * The trainer also stores the matcher's tables (`lexicon-index.bin`), which serving reads as they are: hashing the
 * thousands of terms at every cold start cost ~20 ms.
 */

export type { LexiconFile } from './linearConfigSchema.ts';

/** Open addressing over int32 keys: no boxing, no Map, one or two reads a lookup. */
class IntTable {
  readonly keys: Int32Array;
  readonly values: Int32Array;
  readonly used: Uint8Array;
  private readonly mask: number;

  /** An empty table for `expected` keys, or one over stored arrays (their length a power of two). */
  constructor(expected: number, stored?: { keys: Int32Array; values: Int32Array; used: Uint8Array }) {
    if (stored) {
      this.keys = stored.keys;
      this.values = stored.values;
      this.used = stored.used;
    } else {
      let size = 16;
      while (size < expected * 2) size *= 2;
      this.keys = new Int32Array(size);
      this.values = new Int32Array(size);
      this.used = new Uint8Array(size);
    }
    this.mask = this.keys.length - 1;
  }

  private slot(key: number): number {
    let s = Math.imul(key, 0x9e3779b1) >>> 17;
    s &= this.mask;
    while (this.used[s] === 1 && this.keys[s] !== key) s = (s + 1) & this.mask;
    return s;
  }

  /** The value of `key`, or 0. */
  get(key: number): number {
    const s = this.slot(key);
    return this.used[s] === 1 ? this.values[s]! : 0;
  }

  /** Sets the bits of `bits` in the value of `key`. */
  or(key: number, bits: number): void {
    const s = this.slot(key);
    this.values[s] = (this.used[s] === 1 ? this.values[s]! : 0) | bits;
    this.keys[s] = key;
    this.used[s] = 1;
  }

  /** Raises the value of `key` to at least `value`. */
  max(key: number, value: number): void {
    const s = this.slot(key);
    this.values[s] = Math.max(this.used[s] === 1 ? this.values[s]! : 0, value);
    this.keys[s] = key;
    this.used[s] = 1;
  }
}

/** Where a match is, for explanations: its first and last token and its labels (a bit per label). */
export interface TermMatch {
  first: number;
  last: number;
  labels: number;
}

/** `lexicon-index.bin`: the matcher's two tables as they sit in memory (see `Lexicon.encodeIndex`). */
export const LEXICON_INDEX_FILE = 'lexicon-index.bin';
const INDEX_MAGIC = 0x3158_4c43; // "CLX1" read as a little-endian uint32
const INDEX_HEADER_BYTES = 16;

export class Lexicon {
  /** Term key → labels (a bit per label, `LABELS` order). */
  private readonly terms: IntTable;
  /** First token hash → the longest term starting with it (0: no term starts with it). */
  private readonly starts: IntTable;

  private constructor(terms: IntTable, starts: IntTable) {
    this.terms = terms;
    this.starts = starts;
  }

  /** The matcher of a lexicon file's terms (what the trainer builds; `lexicon.json` of a model folder). */
  static fromFile(file: LexiconFile): Lexicon {
    let total = 0;
    for (const label of LABELS) total += file.terms[label]?.length ?? 0;
    const terms = new IntTable(total);
    const starts = new IntTable(total);
    // Each term's token hashes as a text's tokens get them (layers/model/ngrams.ts), with no string per token.
    const scratch = { buffer: new Int32Array(64) };
    LABELS.forEach((label, l) => {
      for (const term of file.terms[label] ?? []) {
        const hashes = tokenHashes(term, scratch);
        if (hashes.length === 0) continue;
        terms.or(sequenceKey(hashes, 0, hashes.length), 1 << l);
        starts.max(hashes[0]!, hashes.length);
      }
    });
    return new Lexicon(terms, starts);
  }

  /**
   * The matcher's tables as stored in `lexicon-index.bin`, little-endian, so that serving reads them through views
   * instead of hashing thousands of terms at every cold start:
   *
   *   header  4 × uint32: magic "CLX1", 1, terms table size t, starts table size s (powers of two)
   *   int32   t keys, t values (term key → labels), s keys, s values (first token → longest term)
   *   uint8   t then s slot-used flags
   */
  encodeIndex(): Buffer {
    const t = this.terms.keys.length;
    const st = this.starts.keys.length;
    const bytes = Buffer.alloc(INDEX_HEADER_BYTES + 8 * (t + st) + t + st);
    [INDEX_MAGIC, 1, t, st].forEach((word, i) => {
      bytes.writeUInt32LE(word, i * 4);
    });
    let at = INDEX_HEADER_BYTES;
    for (const array of [this.terms.keys, this.terms.values, this.starts.keys, this.starts.values])
      for (const v of array) {
        bytes.writeInt32LE(v, at);
        at += 4;
      }
    bytes.set(this.terms.used, at);
    bytes.set(this.starts.used, at + t);
    return bytes;
  }

  /** The matcher from `lexicon-index.bin` bytes (views, no copies when the bytes are 4-byte aligned). */
  static fromIndex(file: Uint8Array, name: string): Lexicon {
    const fail = (why: string) => new ModelLoadError(`${name}: ${why}`);
    if (!LITTLE_ENDIAN) throw fail('lexicon index files are little-endian; this host is not');
    const bytes = file.byteOffset % 4 === 0 ? file : Uint8Array.from(file);
    if (bytes.length < INDEX_HEADER_BYTES) throw fail('too short for a lexicon index');
    const [magic, version, t, st] = new Uint32Array(bytes.buffer, bytes.byteOffset, 4);
    if (magic !== INDEX_MAGIC || version !== 1) throw fail('not a lexicon index (version 1)');
    const power = (n: number) => n >= 16 && (n & (n - 1)) === 0;
    if (!power(t!) || !power(st!) || bytes.length !== INDEX_HEADER_BYTES + 9 * (t! + st!))
      throw fail(`tables of ${t} and ${st} slots do not fit ${bytes.length} bytes`);
    const ints = (from: number, n: number) => new Int32Array(bytes.buffer, bytes.byteOffset + from, n);
    const flags = INDEX_HEADER_BYTES + 8 * (t! + st!);
    const table = (keysAt: number, size: number, usedAt: number) =>
      new IntTable(0, {
        keys: ints(keysAt, size),
        values: ints(keysAt + 4 * size, size),
        used: bytes.subarray(usedAt, usedAt + size),
      });
    return new Lexicon(table(INDEX_HEADER_BYTES, t!, flags), table(INDEX_HEADER_BYTES + 8 * t!, st!, flags + t!));
  }

  /**
   * Counts per label of the terms in a token sequence (`Ngrams.tokens`), longest match first, left to right, into
   * `counts` (length `LABELS.length`, zeroed here). `matches`, when given, receives each match (explanations).
   */
  count(tokens: Int32Array, counts: Float64Array, matches?: TermMatch[]): void {
    counts.fill(0);
    let i = 0;
    while (i < tokens.length) {
      const longest = Math.min(this.starts.get(tokens[i]!), tokens.length - i);
      let matched = 0;
      for (let len = longest; len >= 1; len--) {
        const labels = this.terms.get(sequenceKey(tokens, i, len));
        if (labels === 0) continue;
        for (let l = 0; l < counts.length; l++) if ((labels >> l) & 1) counts[l]! += 1;
        matches?.push({ first: i, last: i + len - 1, labels });
        matched = len;
        break;
      }
      i += matched || 1;
    }
  }
}
