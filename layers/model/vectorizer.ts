import { type NormalizedText, normalizeWithOffsets } from '#core/textOffsets.ts';
import {
  ChunkCache,
  type ChunkCacheLimits,
  DEFAULT_CHUNK_CACHE,
  FEATURES,
  STAMP,
  SUMS,
  SUMS_PER_RECORD,
  TOKENS,
} from './chunkCache.ts';
import { type LinearWeights, logitsOfSums, presentSums } from './estimator.ts';
import type { FeatureIndex } from './featureIndex.ts';
import type { Lexicon, TermMatch } from './lexicon.ts';
import { type NgramConfig, NgramExtractor, type NgramOrigins, normalizeText } from './ngrams.ts';
import { type Block, newRow, type Row } from './row.ts';

/**
 * Text → feature row, the one `transform` that training, serving and evidence share (scikit-learn's vectorizer):
 * hashed n-grams (layers/model/ngrams.ts), looked up in the expert's vocabulary, counted per block, then weighted.
 *
 * Weighting (`weighRow`, and `score`'s loops through the same helpers: one definition of a feature's value):
 * - `tfidf`: a feature's value is tf × idf (tf = count, or 1 + ln(count) when sublinear), and each block (word, char)
 *   is L2-normalised on its own, as a FeatureUnion of two TfidfVectorizers does;
 * - `binary`: 1 for every distinct feature present, and the whole row (both blocks) × nnz^-rowScalePower: one mention
 *   of a disease term in a long abstract counts as much as ten, which is what decides labels in real abstracts.
 * A row is kept as raw values (tf × idf, or 1) and one scale per block; a feature's value is raw × scale. Serving
 * multiplies the scale once per block after the dot product; training stores raw × scale in its design matrix.
 * Serving scores without building the row (`Vectorizer.score`), with the same helpers (`termFrequency`, `binaryScale`,
 * `l2Scale`). A binary block is summed in the loop that closes it, in the row's order: the logits are `rowLogits`'s to
 * the bit. A TF-IDF char block is summed from its chunks: the chunk cache keeps, per chunk, the sums of idf × weight
 * and of idf² over its occurrences (what the chunk adds when each of its features occurs once), so a text adds one
 * record's sums per chunk and corrects only its repeated features (tf(c) × idf instead of c × idf); that is the same
 * terms in another order, the logits within 1e-12 of `rowLogits`'s (tested), and evidence decomposes the served ones.
 * A block with a feature seen more than `EXACT_ABOVE` times is summed feature by feature instead (`closeChars`).
 *
 * With `lexicon`, a row also has four dense features, log(1 + matches) per label of the model's medical lexicon
 * (layers/model/lexicon.ts): terms pooled into stable features, whatever words the training rows happened to use.
 */

export interface VectorizerSettings extends NgramConfig {
  /** Use 1 + ln(tf) instead of raw counts (TF-IDF weighting only). */
  sublinearTf: boolean;
  /** `tfidf` when absent. */
  weighting?: 'tfidf' | 'binary';
  /** Binary weighting only: each row is multiplied by (number of distinct features present)^-rowScalePower. */
  rowScalePower?: number;
  /** Add the lexicon block: log(1 + matches) per label of the model's lexicon. */
  lexicon?: boolean;
}

/** The lexicon block's value of a label with `matches` term matches. */
export const lexiconValue = (matches: number): number => Math.log1p(matches);

/** 1 + ln(count) for counts below 256 (index 0 unused: a feature in a row occurs at least once). */
const SUBLINEAR_TF = Float64Array.from({ length: 256 }, (_, count) => (count === 0 ? 0 : 1 + Math.log(count)));

/**
 * TF-IDF weighting's term frequency of a feature `count` times in a block: the count, or 1 + ln(count) when sublinear,
 * from a table for the small counts almost every n-gram has (the logarithm was most of the weighting's cost). The
 * table holds Math.log's own values, so the result is the same to the last bit.
 */
const termFrequency = (count: number, sublinear: boolean): number =>
  sublinear ? (count < SUBLINEAR_TF.length ? SUBLINEAR_TF[count]! : 1 + Math.log(count)) : count;

/** TF-IDF weighting's block scale: L2 normalisation of a block whose values' squares sum to `norm`. */
const l2Scale = (norm: number): number => (norm > 0 ? 1 / Math.sqrt(norm) : 0);

/** Binary weighting's scale of both blocks of a row with `present` distinct features (`rowScalePower`: settings). */
const binaryScale = (present: number, rowScalePower: number): number => (present > 0 ? present ** -rowScalePower : 0);

/** The lexicon block's values of a row from its matches (0 without the lexicon block). */
function denseValues(row: Row, lexicon: boolean): void {
  for (let l = 0; l < row.dense.length; l++) row.dense[l] = lexicon ? lexiconValue(row.matches[l]!) : 0;
}

/** Fills each block's raw values from its counts, the row's block scales and lexicon values (module comment). */
export function weighRow(row: Row, idf: ArrayLike<number> | undefined, settings: VectorizerSettings): void {
  const [word, char] = row.blocks;
  denseValues(row, settings.lexicon === true);
  if (settings.weighting === 'binary') {
    word.raw.fill(1, 0, word.length);
    char.raw.fill(1, 0, char.length);
    row.scales.fill(binaryScale(word.length + char.length, settings.rowScalePower ?? 0));
    row.unit = true;
    return;
  }
  if (!idf) throw new Error('TF-IDF weighting needs the IDF of the vocabulary');
  row.unit = false;
  const sublinear = settings.sublinearTf;
  for (let b = 0; b < 2; b++) {
    const { counts, ids, raw, length } = row.blocks[b]!;
    let norm = 0;
    for (let t = 0; t < length; t++) {
      const v = termFrequency(counts[t]!, sublinear) * idf[ids[t]!]!;
      raw[t] = v;
      norm += v * v;
    }
    row.scales[b] = l2Scale(norm);
  }
}

/** A row with what explanations need: the normalised text and, per occurrence, the block slot it counted towards. */
export interface TracedRow {
  row: Row;
  map: NormalizedText;
  origins: NgramOrigins;
  /** Per block, per occurrence (extraction order): the slot of the distinct feature in the block, or -1. */
  slotOf: [Int32Array, Int32Array];
  /** The lexicon's matches, in text order (token ranges into `origins.tokens`). */
  terms: TermMatch[];
}

/**
 * Clears the presence bits of `ids[0 .. length)`: word by word for a few ids, the whole set (a memset of a few KB)
 * once that is fewer stores than the ids (a real abstract marks ~1,500 of the ~3,000 words of its expert).
 */
function clearSeen(seen: Uint32Array, ids: Int32Array, length: number): void {
  if (length > seen.length >>> 3) seen.fill(0);
  else for (let t = 0; t < length; t++) seen[ids[t]! >>> 5] = 0;
}

/**
 * A TF-IDF char block with a feature seen more than this many times is summed feature by feature, not from its chunks'
 * sums (`closeChars`): the logits then stay within 1e-12 of the row's (tested on runs of one word up to 200,000
 * characters long).
 */
const EXACT_ABOVE = 64;

/** The IDF of a vectorizer without TF-IDF weighting. */
const NO_IDF = new Float32Array(0);

export class Vectorizer {
  readonly settings: VectorizerSettings;
  readonly index: FeatureIndex;
  /** Per feature id: IDF, for TF-IDF weighting (empty for binary weighting). */
  readonly idf: ArrayLike<number>;
  private readonly binary: boolean;
  /** The settings the hot loops read, as fields of their own (see the constructor). */
  private readonly sublinear: boolean;
  private readonly withLexicon: boolean;
  private readonly extractor: NgramExtractor;
  private readonly tracer: NgramExtractor;
  /** Which ids the current block has seen, one bit each (a few KB: stays in L1), whatever the weighting. */
  private readonly seen: Uint32Array;
  /**
   * TF-IDF: per id, how often it occurred in the current block after its first occurrence, counted from the block's
   * repeats when it closes (`tallyRepeats`) and reset to 0 after: a char block scored from its chunks' sums touches it
   * only for its few repeated features; the word block and `transform` read it for every distinct one.
   */
  private readonly tally: Int32Array;
  /** Explanations: per id, the generation that last saw it, then its slot in that block (nothing needs clearing). */
  private marks = new Int32Array(0);
  private generation = 0;
  private readonly row = newRow();
  /** Chunks seen before (layers/model/chunkCache.ts), and the stamp of the current text there. */
  readonly cache: ChunkCache;
  private textStamp = 0;
  /** One chunk's features while it is looked up. */
  private chunkIds = new Int32Array(256);
  /** `score`'s per-block sums of value × weight per label: the word block's at 0..3, the char block's at 4..7. */
  private readonly sums = new Float64Array(8);
  /** The weights the chunk cache's sums were computed with (bound by `score`; empty until then). */
  private sumWeights: ArrayLike<number> = NO_IDF;
  /** A new chunk's sums while it is kept (layout: `chunkSums`). */
  private readonly newSums = new Float64Array(SUMS_PER_RECORD);
  /** The char block's sums over its chunks, as `charBlock` adds them up (layout: `chunkSums`). */
  private readonly charTotals = new Float64Array(SUMS_PER_RECORD);
  /** The current block's repeated occurrences (every one after a feature's first), as `addChunk` finds them. */
  private repeats = new Int32Array(256);
  private repeatCount = 0;

  /** The model's lexicon: its matches are counted for every row (evidence), its features added with `lexicon`. */
  readonly lexicon: Lexicon | undefined;

  constructor(
    settings: VectorizerSettings,
    index: FeatureIndex,
    idf: ArrayLike<number> | undefined,
    lexicon?: Lexicon,
    cacheLimits: ChunkCacheLimits = DEFAULT_CHUNK_CACHE,
  ) {
    if (settings.lexicon && !lexicon) throw new Error("these vectorizer settings need the model's lexicon");
    const binary = settings.weighting === 'binary';
    if (!binary && !(idf && idf.length >= index.features))
      throw new Error('TF-IDF weighting needs the IDF of every feature of the vocabulary');
    // Every field gets its final kind of value here, whatever the settings (an empty IDF, not undefined; the tracer
    // built now, not at the first explanation): a field that later changed kind would change the hidden class of
    // every vectorizer, and V8 would throw away the optimised code of the loops below, at a time of its choosing
    // (the first explanation, the first text of a kind), which sometimes left a loop on slower code for good.
    this.settings = settings;
    this.index = index;
    this.idf = idf ?? NO_IDF;
    this.lexicon = lexicon;
    this.binary = binary;
    this.sublinear = settings.sublinearTf;
    this.withLexicon = settings.lexicon === true;
    this.extractor = new NgramExtractor(settings);
    this.tracer = new NgramExtractor(settings, { origins: true });
    this.seen = new Uint32Array(Math.ceil(index.features / 32));
    this.tally = new Int32Array(this.binary ? 0 : index.features);
    this.cache = new ChunkCache(cacheLimits, { withSums: !binary });
  }

  /**
   * The row of a text. The returned row is reused by the next call.
   *
   * Chunk by chunk (layers/model/ngrams.ts): a chunk the cache holds gives its character features and tokens from
   * there, any other is extracted and looked up, and kept. Each chunk's in-vocabulary n-grams come in the order they
   * occur, so chunk after chunk the block sees every occurrence in text order, as looking each one up would: the
   * same features in order of first occurrence, with the same counts. Binary presence skips a chunk already used
   * by this text: its features are all present.
   */
  transform(text: string): Row {
    const [word, char] = this.row.blocks;
    this.charBlock(text);
    this.closeBlock(char);
    const ngrams = this.extractor.result();
    this.wordBlock(ngrams.word, word);
    this.closeBlock(word);
    this.lexicon?.count(ngrams.tokens, this.row.matches);
    weighRow(this.row, this.idf, this.settings);
    return this.row;
  }

  /**
   * The raw logits of a text under `model` (bias + row · weights), written to `out[offset .. offset + 4)`: what
   * `rowLogits(transform(text), model, …)` gives (binary: to the last bit; TF-IDF: within 1e-12, the module comment
   * says why; tested), in fewer passes. Each block is weighed and summed in the loop that closes it (`closeScored`,
   * or `closeChars` for a TF-IDF char block): the values `weighRow` gives. A TF-IDF vectorizer keeps sums computed
   * with `model.weights` in its chunk cache, and empties the cache when another weights array comes: an array is not
   * to be changed in place once scored with (fitted and loaded weights never are).
   * Returns the text's lexicon matches per label (valid until the next call). The serving path: it fills the row's ids
   * but not its counts and values, so a row `transform` returned before is not to be read after it (evidence and
   * training use `transform`).
   */
  score(text: string, model: LinearWeights, out: Float64Array, offset: number): Float64Array {
    const row = this.row;
    const [word, char] = row.blocks;
    const sums = this.sums;
    const weights = model.weights;
    if (!this.binary && weights !== this.sumWeights) {
      // The cache's sums belong to the weights they were computed with.
      this.cache.clear();
      this.sumWeights = weights;
    }
    this.charBlock(text);
    const charNorm = this.binary ? this.closeScored(char, weights, sums, 4) : this.closeChars(char, weights, sums);
    const ngrams = this.extractor.result();
    this.wordBlock(ngrams.word, word);
    const wordNorm = this.closeScored(word, weights, sums, 0);
    this.lexicon?.count(ngrams.tokens, row.matches);
    denseValues(row, this.withLexicon);
    // Read from the settings, not kept as a field: a number field that is 0 (a small integer) in one vectorizer and
    // 0.25 in another changes kind, which is what the constructor's fields avoid. Only binary vectorizers read it.
    if (this.binary) row.scales.fill(binaryScale(word.length + char.length, this.settings.rowScalePower ?? 0));
    else {
      row.scales[0] = l2Scale(wordNorm);
      row.scales[1] = l2Scale(charNorm);
    }
    logitsOfSums(model, sums, row.scales, row.dense, out, offset);
    return row.matches;
  }

  /**
   * Closes a TF-IDF char block `charBlock` built and sums value × weight per label over its distinct features into
   * `sums[4 .. 8)`, from the sums of its chunks (`charTotals`): a chunk's sums count each occurrence as a value of idf,
   * which is the value of a feature that occurs once, so only the repeated features need a correction. Returns the
   * block's sum of squared values.
   */
  private closeChars(block: Block, weights: ArrayLike<number>, sums: Float64Array): number {
    const totals = this.charTotals;
    const repeats = this.repeats;
    const { tally } = this;
    const idf = this.idf;
    const sublinear = this.sublinear;
    let s0 = totals[0]!;
    let s1 = totals[1]!;
    let s2 = totals[2]!;
    let s3 = totals[3]!;
    let norm = totals[4]!;
    const repeated = this.tallyRepeats();
    // The correction takes c × idf back out of the sums to put tf(c) × idf in, and rounding grows with what it takes
    // out: a feature repeated thousands of times (a long run of one word) would leave an error of 1e-10 and more. Such
    // a block is summed feature by feature instead (its rows are rare and long anyway): at most EXACT_ABOVE × the
    // rounding of one term otherwise.
    for (let r = 0; r < repeated; r++)
      if (tally[repeats[r]!]! >= EXACT_ABOVE) return this.sumTfidf(block, weights, sums, 4);
    // A feature seen c times was counted c × idf; its value is tf(c) × idf.
    for (let r = 0; r < repeated; r++) {
      const id = repeats[r]!;
      const c = 1 + tally[id]!;
      tally[id] = 0;
      const f = termFrequency(c, sublinear);
      const u = idf[id]!;
      const d = (f - c) * u;
      norm += (f * f - c) * u * u;
      const base = id << 2;
      s0 += d * weights[base]!;
      s1 += d * weights[base + 1]!;
      s2 += d * weights[base + 2]!;
      s3 += d * weights[base + 3]!;
    }
    clearSeen(this.seen, block.ids, block.length);
    sums[4] = s0;
    sums[5] = s1;
    sums[6] = s2;
    sums[7] = s3;
    return norm;
  }

  /**
   * A TF-IDF chunk's sums from its feature occurrences `ids[0 .. n)`, under the bound weights: per label the sum of
   * idf × weight, then the sum of idf². Zeros while no weights are bound (`score` binds them).
   */
  private chunkSums(ids: Int32Array, n: number, out: Float64Array): void {
    const weights = this.sumWeights;
    const idf = this.idf;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    if (weights.length > 0)
      for (let k = 0; k < n; k++) {
        const id = ids[k]!;
        const u = idf[id]!;
        const base = id << 2;
        s0 += u * weights[base]!;
        s1 += u * weights[base + 1]!;
        s2 += u * weights[base + 2]!;
        s3 += u * weights[base + 3]!;
        s4 += u * u;
      }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
    out[4] = s4;
  }

  /**
   * Closes a block `addChunk` built (as `closeBlock` does) and sums value × weight per label over its distinct
   * features into `sums[at .. at + 4)`, in the block's order, as `rowLogits` does: binary values are 1 (the weights
   * are added unmultiplied), TF-IDF values tf × idf. Returns the TF-IDF block's sum of squared values (0 for binary).
   */
  private closeScored(block: Block, weights: ArrayLike<number>, sums: Float64Array, at: number): number {
    if (this.binary) {
      presentSums(block.ids, block.length, weights, sums, at);
      clearSeen(this.seen, block.ids, block.length);
      return 0;
    }
    return this.closeTfidf(block, weights, sums, at);
  }

  /**
   * `closeScored` of a TF-IDF block: each feature's count (1 + its repeats, `tallyRepeats`) weighed and summed, the
   * tally and the seen bits reset.
   */
  private closeTfidf(block: Block, weights: ArrayLike<number>, sums: Float64Array, at: number): number {
    this.tallyRepeats();
    return this.sumTfidf(block, weights, sums, at);
  }

  /** `closeTfidf` once the repeats are in the tally: the block's features weighed and summed in its order. */
  private sumTfidf(block: Block, weights: ArrayLike<number>, sums: Float64Array, at: number): number {
    const { ids, length } = block;
    const { tally } = this;
    const idf = this.idf;
    const sublinear = this.sublinear;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let norm = 0;
    for (let t = 0; t < length; t++) {
      const id = ids[t]!;
      const v = termFrequency(1 + tally[id]!, sublinear) * idf[id]!;
      tally[id] = 0;
      norm += v * v;
      const base = id << 2;
      s0 += v * weights[base]!;
      s1 += v * weights[base + 1]!;
      s2 += v * weights[base + 2]!;
      s3 += v * weights[base + 3]!;
    }
    sums[at] = s0;
    sums[at + 1] = s1;
    sums[at + 2] = s2;
    sums[at + 3] = s3;
    clearSeen(this.seen, ids, length);
    return norm;
  }

  /**
   * Starts a text and builds its char block, chunk by chunk (`transform`'s comment), up to `addChunk`: the block is
   * left open, for `closeBlock` or `closeScored`.
   */
  private charBlock(text: string): void {
    const ex = this.extractor;
    const cache = this.cache;
    const binary = this.binary;
    const char = this.row.blocks[1];
    ex.begin(text);
    char.reserve(Math.min(this.index.features, ex.charCapacity));
    char.length = 0;
    if (!binary) this.reserveRepeats(ex.charCapacity);
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    let t4 = 0;
    if (++this.textStamp === 0x7fffffff) {
      cache.clear();
      this.textStamp = 1;
    }
    const stamp = this.textStamp;
    // TF-IDF adds up its chunks' sums (closeChars); binary presence sums its distinct features' weights (closeScored).
    const withSums = cache.withSums;
    for (let len = ex.nextChunk(); len > 0; len = ex.nextChunk()) {
      let record = cache.find(ex.chunk, len, ex.chunkHash);
      if (record >= 0) {
        const records = cache.records;
        const tokens = cache.tokensAt(record);
        for (let t = tokens, end = t + records[record + TOKENS]!; t < end; t++) ex.replayToken(records[t]!);
        if (binary && records[record + STAMP] === stamp) continue;
        records[record + STAMP] = stamp;
        if (withSums) {
          const at = (record + SUMS) >>> 1;
          const chunkSums = cache.sums;
          t0 += chunkSums[at]!;
          t1 += chunkSums[at + 1]!;
          t2 += chunkSums[at + 2]!;
          t3 += chunkSums[at + 3]!;
          t4 += chunkSums[at + 4]!;
        }
        const ids = cache.idsAt(record);
        this.addChunk(records, ids, ids + records[record + FEATURES]!, char);
        continue;
      }
      const charFrom = ex.charCount;
      const tokenFrom = ex.tokensSoFar;
      ex.chunkNgrams(len);
      const features = this.chunkFeatures(ex.charBuffer, charFrom, ex.charCount);
      const chunkIds = this.chunkIds;
      const newSums = this.newSums;
      if (withSums) {
        this.chunkSums(chunkIds, features, newSums);
        t0 += newSums[0]!;
        t1 += newSums[1]!;
        t2 += newSums[2]!;
        t3 += newSums[3]!;
        t4 += newSums[4]!;
      }
      record = cache.add(
        ex.chunk,
        len,
        ex.chunkHash,
        ex.tokenBuffer,
        tokenFrom,
        ex.tokensSoFar,
        chunkIds,
        features,
        newSums,
      );
      if (record >= 0) cache.records[record + STAMP] = stamp;
      this.addChunk(chunkIds, 0, features, char);
    }
    const totals = this.charTotals;
    totals[0] = t0;
    totals[1] = t1;
    totals[2] = t2;
    totals[3] = t3;
    totals[4] = t4;
  }

  /** Room for `n` repeated occurrences in the current block, and none yet. */
  private reserveRepeats(n: number): void {
    if (this.repeats.length < n) this.repeats = new Int32Array(Math.max(n, 2 * this.repeats.length));
    this.repeatCount = 0;
  }

  /** One chunk's in-vocabulary features, from its occurrences `occurrences[from .. to)`, in order: into `chunkIds`. */
  private chunkFeatures(occurrences: Int32Array, from: number, to: number): number {
    if (this.chunkIds.length < to - from) this.chunkIds = new Int32Array(Math.max(to - from, 2 * this.chunkIds.length));
    const { chunkIds: ids, index } = this;
    let n = 0;
    for (let i = from; i < to; i++) {
      const id = index.lookup(occurrences[i]!);
      ids[n] = id;
      n += (id >>> 31) ^ 1; // kept when in the vocabulary (id ≥ 0), branch-free
    }
    return n;
  }

  /** Adds one chunk's feature occurrences (`chunkIds[from .. to)`) to a block being built (`closeBlock` ends it). */
  private addChunk(chunkIds: Int32Array, from: number, to: number, block: Block): void {
    const ids = block.ids;
    const seen = this.seen;
    let length = block.length;
    // Branch-free: whether a feature is new is a coin toss the branch predictor loses. A new one joins the block.
    if (this.binary) {
      for (let k = from; k < to; k++) {
        const id = chunkIds[k]!;
        const word = seen[id >>> 5]!;
        seen[id >>> 5] = word | (1 << (id & 31));
        ids[length] = id;
        length += ((word >>> (id & 31)) & 1) ^ 1;
      }
      block.length = length;
      return;
    }
    // TF-IDF also keeps any other occurrence among the repeats, which it counts when the block closes.
    const repeats = this.repeats;
    let r = this.repeatCount;
    for (let k = from; k < to; k++) {
      const id = chunkIds[k]!;
      const word = seen[id >>> 5]!;
      seen[id >>> 5] = word | (1 << (id & 31));
      const old = (word >>> (id & 31)) & 1;
      ids[length] = id;
      length += old ^ 1;
      repeats[r] = id;
      r += old;
    }
    block.length = length;
    this.repeatCount = r;
  }

  /** Ends a block `addChunk` built: its counts, and the dedup state cleared for the next block. */
  private closeBlock(block: Block): void {
    const { ids, counts, length } = block;
    if (this.binary) {
      counts.fill(1, 0, length);
      clearSeen(this.seen, ids, length);
      return;
    }
    const tally = this.tally;
    this.tallyRepeats();
    for (let t = 0; t < length; t++) {
      counts[t] = 1 + tally[ids[t]!]!;
      tally[ids[t]!] = 0;
    }
    clearSeen(this.seen, ids, length);
  }

  /**
   * TF-IDF: counts the current block's repeats into the tally (per id, its occurrences after the first) and rewrites
   * `repeats[0 .. n)` as the distinct repeated ids, in order of their second occurrence; returns n.
   */
  private tallyRepeats(): number {
    const { tally, repeats } = this;
    const count = this.repeatCount;
    let n = 0;
    for (let r = 0; r < count; r++) {
      const id = repeats[r]!;
      const before = tally[id]!;
      tally[id] = before + 1;
      repeats[n] = id; // n ≤ r: the list is read ahead of where it is rewritten
      n += (before - 1) >>> 31; // 1 when this is its first repeat (before === 0), branch-free
    }
    return n;
  }

  /** The row of a text with its origins, for explanations (allocates; not the prediction path). */
  transformTraced(text: string): TracedRow {
    const map = normalizeWithOffsets(text, normalizeText);
    const ngrams = this.tracer.extractNormalized(map.text);
    const row = newRow();
    const slotOf: [Int32Array, Int32Array] = [new Int32Array(ngrams.word.length), new Int32Array(ngrams.char.length)];
    this.trace(ngrams.word, row.blocks[0], slotOf[0]);
    this.trace(ngrams.char, row.blocks[1], slotOf[1]);
    const terms: TermMatch[] = [];
    this.lexicon?.count(ngrams.tokens, row.matches, terms);
    weighRow(row, this.idf, this.settings);
    return { row, map, origins: this.tracer.origins(), slotOf, terms };
  }

  /**
   * The word block: its occurrences looked up and added as one chunk's are (`addChunk`, then `closeBlock` or
   * `closeScored`), so both blocks share one de-duplication: the distinct in-vocabulary features in order of first
   * occurrence, with their counts.
   */
  private wordBlock(occurrences: Int32Array, block: Block): void {
    const features = this.chunkFeatures(occurrences, 0, occurrences.length);
    block.reserve(features);
    block.length = 0;
    if (!this.binary) this.reserveRepeats(features);
    this.addChunk(this.chunkIds, 0, features, block);
  }

  /** The word block's features and counts, and for each occurrence the slot in the block of the feature it counts towards (explanations). */
  private trace(occurrences: Int32Array, block: Block, slotOf: Int32Array): void {
    block.reserve(occurrences.length);
    const { ids, counts } = block;
    const index = this.index;
    if (this.marks.length === 0) this.marks = new Int32Array(2 * index.features);
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
