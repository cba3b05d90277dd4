import * as z from 'zod/mini';
import { LABELS, type LabelName } from '#core/labels.ts';
import { normalizeText, sequenceKey, tokenHash, wordTokens } from './ngrams.ts';

/**
 * The medical lexicon of a model folder (`lexicon.json`, built from WordNet by the trainer) and its matcher: per label,
 * terms of one or more words. A text's matches are counted per label, longest match first, left to right, on the
 * text's word tokens (the tokens the word features see), so "acute renal failure" counts once, not three times.
 * The counts feed four features, log(1 + matches) per label (the vectorizer's lexicon block), and the confidence rule.
 */

const perLabel = <T extends z.core.SomeType>(value: T) =>
  z.strictObject(Object.fromEntries(LABELS.map((l) => [l, value])) as Record<LabelName, T>);

/** `lexicon.json` of a model folder. */
export const lexiconFileSchema = z.strictObject({
  source: z.strictObject({ name: z.string(), version: z.string(), package: z.string() }),
  /** Per label, the seed synsets (`lemma.pos.NN` and WordNet's id) the terms were grown from. */
  seeds: perLabel(z.array(z.strictObject({ synset: z.string(), offset: z.string() }))),
  /** Per label, its terms (lower case; a term may belong to several labels). */
  terms: perLabel(z.array(z.string())),
});

export type LexiconFile = z.infer<typeof lexiconFileSchema>;

/** Open addressing over int32 keys: no boxing, no Map, one or two reads a lookup. */
class IntTable {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly used: Uint8Array;
  private readonly mask: number;

  constructor(expected: number) {
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.keys = new Int32Array(size);
    this.values = new Int32Array(size);
    this.used = new Uint8Array(size);
    this.mask = size - 1;
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

  update(key: number, value: (old: number) => number): void {
    const s = this.slot(key);
    this.values[s] = value(this.used[s] === 1 ? this.values[s]! : 0);
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

export class Lexicon {
  readonly file: LexiconFile;
  /** Term key → labels (a bit per label, `LABELS` order). */
  private readonly terms: IntTable;
  /** First token hash → the longest term starting with it (0: no term starts with it). */
  private readonly starts: IntTable;

  constructor(file: LexiconFile) {
    this.file = file;
    const entries: { hashes: number[]; labels: number }[] = [];
    LABELS.forEach((label, l) => {
      for (const term of file.terms[label] ?? []) {
        const hashes = wordTokens(normalizeText(term)).map(tokenHash);
        if (hashes.length > 0) entries.push({ hashes, labels: 1 << l });
      }
    });
    this.terms = new IntTable(entries.length);
    this.starts = new IntTable(entries.length);
    for (const { hashes, labels } of entries) {
      this.terms.update(sequenceKey(hashes, 0, hashes.length), (old) => old | labels);
      this.starts.update(hashes[0]!, (old) => Math.max(old, hashes.length));
    }
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
