import { type NormalizedText, normalizeWithOffsets } from '#core/textOffsets.ts';
import type { FeatureIndex } from './featureIndex.ts';
import { type NgramConfig, NgramExtractor, type NgramOrigins, normalizeText } from './ngrams.ts';

/**
 * Text → feature row, the one `transform` that training, serving and evidence share (scikit-learn's vectorizer):
 * hashed n-grams (layers/model/ngrams.ts), looked up in the expert's vocabulary, counted per block, then weighted.
 *
 * Weighting (`weighRow`, the only definition of a feature's value anywhere):
 * - `tfidf`: a feature's value is tf × idf (tf = count, or 1 + ln(count) when sublinear), and each block (word, char)
 *   is L2-normalised on its own, as a FeatureUnion of two TfidfVectorizers does;
 * - `binary`: 1 for every distinct feature present, and the whole row (both blocks) × nnz^-rowScalePower: one mention
 *   of a disease term in a long abstract counts as much as ten, which is what decides labels in real abstracts.
 * A row is kept as raw values (tf × idf, or 1) and one scale per block; a feature's value is raw × scale. Serving
 * multiplies the scale once per block after the dot product; training stores raw × scale in its design matrix.
 */

export interface VectorizerSettings extends NgramConfig {
  /** Use 1 + ln(tf) instead of raw counts (TF-IDF weighting only). */
  sublinearTf: boolean;
  /** `tfidf` when absent. */
  weighting?: 'tfidf' | 'binary';
  /** Binary weighting only: each row is multiplied by (number of distinct features present)^-rowScalePower. */
  rowScalePower?: number;
}

/** The distinct in-vocabulary features of one block of a row. Reused from row to row; grows as needed. */
export class Block {
  ids = new Int32Array(64);
  counts = new Float64Array(64);
  raw = new Float64Array(64);
  length = 0;

  reserve(capacity: number): void {
    if (this.ids.length >= capacity) return;
    const size = Math.max(capacity, 2 * this.ids.length);
    this.ids = new Int32Array(size);
    this.counts = new Float64Array(size);
    this.raw = new Float64Array(size);
  }
}

/** A text's feature row: the word block, the char block, and each block's scale. */
export interface Row {
  readonly blocks: readonly [Block, Block];
  readonly scales: Float64Array;
}

export const newRow = (): Row => ({ blocks: [new Block(), new Block()], scales: new Float64Array(2) });

/** Fills each block's raw values from its counts and the row's block scales (see the module comment). */
export function weighRow(row: Row, idf: ArrayLike<number> | undefined, settings: VectorizerSettings): void {
  const [word, char] = row.blocks;
  if (settings.weighting === 'binary') {
    const present = word.length + char.length;
    word.raw.fill(1, 0, word.length);
    char.raw.fill(1, 0, char.length);
    row.scales.fill(present > 0 ? present ** -(settings.rowScalePower ?? 0) : 0);
    return;
  }
  if (!idf) throw new Error('TF-IDF weighting needs the IDF of the vocabulary');
  for (let b = 0; b < 2; b++) {
    const block = row.blocks[b]!;
    let norm = 0;
    for (let t = 0; t < block.length; t++) {
      const count = block.counts[t]!;
      // 1 + ln(1) is 1: most n-grams of a text occur once, and the logarithm is most of this loop's cost.
      const tf = settings.sublinearTf ? (count === 1 ? 1 : 1 + Math.log(count)) : count;
      const v = tf * idf[block.ids[t]!]!;
      block.raw[t] = v;
      norm += v * v;
    }
    row.scales[b] = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  }
}

/** A row with what explanations need: the normalised text and, per occurrence, the block slot it counted towards. */
export interface TracedRow {
  row: Row;
  map: NormalizedText;
  origins: NgramOrigins;
  /** Per block, per occurrence (extraction order): the slot of the distinct feature in the block, or -1. */
  slotOf: [Int32Array, Int32Array];
}

export class Vectorizer {
  readonly settings: VectorizerSettings;
  readonly index: FeatureIndex;
  /** Per feature id: IDF, for TF-IDF weighting. */
  readonly idf: ArrayLike<number> | undefined;
  private readonly binary: boolean;
  private readonly extractor: NgramExtractor;
  private tracer: NgramExtractor | undefined;
  /** Binary presence: which ids the current block has seen, one bit each (a few KB: stays in L1). */
  private readonly seen: Uint32Array;
  /** Counting: per id, its count in the current block (reset to 0 for the ids a block touched). */
  private readonly tally: Int32Array;
  /** Explanations: per id, the generation that last saw it, then its slot in that block (nothing needs clearing). */
  private marks: Int32Array | undefined;
  private generation = 0;
  private readonly row = newRow();

  constructor(settings: VectorizerSettings, index: FeatureIndex, idf: ArrayLike<number> | undefined) {
    this.settings = settings;
    this.index = index;
    this.idf = idf;
    this.binary = settings.weighting === 'binary';
    this.extractor = new NgramExtractor(settings);
    this.seen = new Uint32Array(Math.ceil(index.features / 32));
    this.tally = new Int32Array(this.binary ? 0 : index.features);
  }

  /** The row of a text. The returned row is reused by the next call. */
  transform(text: string): Row {
    const ngrams = this.extractor.extract(text);
    const [word, char] = this.row.blocks;
    if (this.binary) {
      this.present(ngrams.word, word);
      this.present(ngrams.char, char);
    } else {
      this.count(ngrams.word, word);
      this.count(ngrams.char, char);
    }
    weighRow(this.row, this.idf, this.settings);
    return this.row;
  }

  /** The row of a text with its origins, for explanations (allocates; not the prediction path). */
  transformTraced(text: string): TracedRow {
    this.tracer ??= new NgramExtractor(this.settings, { origins: true });
    const map = normalizeWithOffsets(text, normalizeText);
    const ngrams = this.tracer.extractNormalized(map.text);
    const row = newRow();
    const slotOf: [Int32Array, Int32Array] = [new Int32Array(ngrams.word.length), new Int32Array(ngrams.char.length)];
    this.trace(ngrams.word, row.blocks[0], slotOf[0]);
    this.trace(ngrams.char, row.blocks[1], slotOf[1]);
    weighRow(row, this.idf, this.settings);
    return { row, map, origins: this.tracer.origins(), slotOf };
  }

  /** The distinct in-vocabulary features of one block, in order of first occurrence (binary presence: no counts). */
  private present(occurrences: Int32Array, block: Block): void {
    block.reserve(occurrences.length);
    const { ids, counts } = block;
    const index = this.index;
    const seen = this.seen;
    let length = 0;
    for (let i = 0; i < occurrences.length; i++) {
      const id = index.lookup(occurrences[i]!);
      if (id < 0) continue;
      const bit = 1 << (id & 31);
      const word = id >>> 5;
      if ((seen[word]! & bit) !== 0) continue;
      seen[word]! |= bit;
      ids[length] = id;
      counts[length++] = 1;
    }
    for (let t = 0; t < length; t++) seen[ids[t]! >>> 5] = 0;
    block.length = length;
  }

  /** The distinct in-vocabulary features of one block, in order of first occurrence, with their counts. */
  private count(occurrences: Int32Array, block: Block): void {
    block.reserve(occurrences.length);
    const { ids, counts } = block;
    const index = this.index;
    const tally = this.tally;
    let length = 0;
    for (let i = 0; i < occurrences.length; i++) {
      const id = index.lookup(occurrences[i]!);
      if (id < 0) continue;
      const seen = tally[id]!;
      if (seen === 0) ids[length++] = id;
      tally[id] = seen + 1;
    }
    for (let t = 0; t < length; t++) {
      counts[t] = tally[ids[t]!]!;
      tally[ids[t]!] = 0;
    }
    block.length = length;
  }

  /** `count`, and for each occurrence the slot in the block of the feature it counts towards (explanations). */
  private trace(occurrences: Int32Array, block: Block, slotOf: Int32Array): void {
    block.reserve(occurrences.length);
    const { ids, counts } = block;
    const index = this.index;
    this.marks ??= new Int32Array(2 * index.features);
    const marks = this.marks;
    if (++this.generation === 0x7fffffff) {
      marks.fill(0);
      this.generation = 1;
    }
    const generation = this.generation;
    let length = 0;
    for (let i = 0; i < occurrences.length; i++) {
      const id = index.lookup(occurrences[i]!);
      if (id < 0) {
        slotOf[i] = -1;
        continue;
      }
      let slot: number;
      if (marks[2 * id] !== generation) {
        marks[2 * id] = generation;
        marks[2 * id + 1] = slot = length;
        ids[length] = id;
        counts[length++] = 1;
      } else {
        slot = marks[2 * id + 1]!;
        counts[slot]! += 1;
      }
      slotOf[i] = slot;
    }
    block.length = length;
  }
}
