/**
 * What one expert already knows about a chunk (a whitespace-separated piece of text, lower-cased and padded as
 * layers/model/ngrams.ts extracts it): its character n-grams that are in the expert's vocabulary, as feature ids in
 * the order they occur, and the hashes of its word tokens. Abstracts reuse most of their words ("patients", "the", "with"
 * and a few thousand more), so a text's character n-grams are hashed and looked up once per distinct chunk the
 * process has seen, not once per occurrence: the work the vectorizer does per text is then reading short lists.
 *
 * Exact, not approximate: a chunk is found only when its code units equal the stored ones, so a text's row is the
 * same with or without the cache (tested), whatever the cache holds. Bounded: at most `maxEntries` chunks of at most
 * `maxChunk` code units each, in at most `maxInts` int32s; when full it is emptied and refills with what comes next,
 * which costs speed only.
 * Single-threaded, like the vectorizer that owns it.
 *
 * Memory latency, not arithmetic, is what a lookup costs, so each chunk is one record in one pool (its key, tokens
 * and features side by side), and the slot table keeps each key's hash beside the record's offset: a chunk
 * costs the read of its slot and of one record, whose lines the hardware prefetches.
 *
 *   record: [keyLength, features, tokens, stamp, sums (SUMS_PER_RECORD float64, in a cache made `withSums`)…,
 *            key (two code units per int32)…, tokens…, ids…]
 *
 * In a cache made `withSums`, a record starts at an even offset, so that its sums are 8-byte aligned and read through a
 * Float64Array view of the same memory (`sums`, at `(record + SUMS) / 2`). What the sums hold is the owner's business
 * (a TF-IDF vectorizer keeps each chunk's share of the dot product there); the cache only stores them.
 */

const FNV_PRIME = 0x01000193;

/** Chunks the slot table holds at first (it doubles from there, up to `maxEntries`). */
const INITIAL_ENTRIES = 1024;

/** Offsets in a record. */
export const FEATURES = 1;
export const TOKENS = 2;
export const STAMP = 3;
/** Where a record's sums start (in int32s: always even). */
export const SUMS = 4;
/** The float64 sums each record carries. */
export const SUMS_PER_RECORD = 5;

export interface ChunkCacheLimits {
  /** Chunks kept at most (a power of two). */
  maxEntries: number;
  /** Longer chunks (padded length) are never kept: URLs, sequences, text without spaces. */
  maxChunk: number;
  /** The records' pool, in int32s, at most: the memory bound whatever the chunks are like. */
  maxInts: number;
}

/**
 * 65,536 chunks, 8 MB of records and a 1 MB slot table per expert at most (the 2,964 training abstracts make 26,600
 * distinct chunks: 4.4 MB of records for the real-abstract expert; 4.6 MB for the snippet expert, whose records carry
 * sums).
 */
export const DEFAULT_CHUNK_CACHE: ChunkCacheLimits = { maxEntries: 1 << 16, maxChunk: 48, maxInts: 1 << 21 };

export class ChunkCache {
  readonly limits: ChunkCacheLimits;
  /**
   * Open addressing over twice as many slots as the chunks it can hold now, two int32 each: the key's hash, then record
   * offset + 1 (0: empty). It starts small and doubles as chunks come, up to 2 × maxEntries slots: a table sized to
   * what an expert has seen stays dense, so its lookups hit the processor's caches (an expert that sees a few thousand
   * distinct chunks, such as the templates', keeps a table of tens of KB instead of 1 MB spread thin).
   */
  private slots: Int32Array;
  private mask: number;
  /** Chunks the table holds before it doubles (half its slots). */
  private capacity: number;
  private entries = 0;
  /** The records, one after another (layout in the module comment). */
  readonly records: Int32Array;
  /** The same memory as float64: a record's sums are `sums[(record + SUMS) / 2 ..]` (module comment). */
  readonly sums: Float64Array;
  /** Whether records carry sums, and where a record's key starts (after the sums, when there are some). */
  readonly withSums: boolean;
  private readonly keyAt: number;
  private used = 0;
  /** How often the cache was emptied because it was full (for benchmarks). */
  resets = 0;

  constructor(limits: ChunkCacheLimits = DEFAULT_CHUNK_CACHE, options: { withSums?: boolean } = {}) {
    const { maxEntries } = limits;
    if (!(maxEntries >= 1 && (maxEntries & (maxEntries - 1)) === 0))
      throw new RangeError('maxEntries must be a power of two');
    this.limits = limits;
    this.withSums = options.withSums === true;
    this.keyAt = SUMS + (this.withSums ? 2 * SUMS_PER_RECORD : 0);
    this.capacity = Math.min(maxEntries, INITIAL_ENTRIES);
    this.slots = new Int32Array(4 * this.capacity);
    this.mask = 2 * this.capacity - 1;
    // Reserved whole, never grown: the system maps zero pages and only those the records reach become resident, so
    // growing costs neither copies nor reallocations (each one a round of page faults on a fresh block).
    this.records = new Int32Array(limits.maxInts + (limits.maxInts & 1));
    this.sums = new Float64Array(this.records.buffer);
  }

  /** Chunks held now. */
  get size(): number {
    return this.entries;
  }

  /** Where a record's tokens start in `records`. */
  tokensAt(record: number): number {
    return record + this.keyAt + ((this.records[record]! + 1) >>> 1);
  }

  /** Where a record's feature ids start in `records`. */
  idsAt(record: number): number {
    return this.tokensAt(record) + this.records[record + TOKENS]!;
  }

  /** The record of the chunk `key[0 .. length)` whose FNV-1a hash is `hash`, or -1. */
  find(key: Uint16Array, length: number, hash: number): number {
    const { slots, mask } = this;
    for (let at = Math.imul(hash, FNV_PRIME) & mask; ; at = (at + 1) & mask) {
      const offset = slots[2 * at + 1]!;
      if (offset === 0) return -1;
      if (slots[2 * at] !== hash) continue;
      const record = offset - 1;
      const records = this.records;
      if (records[record] !== length) continue;
      let i = 0;
      let k = record + this.keyAt;
      for (; i + 1 < length; i += 2, k++) if (records[k] !== (key[i]! | (key[i + 1]! << 16))) break;
      if (i + 1 >= length && (i === length || records[k] === key[i])) return record;
    }
  }

  /**
   * Keeps a chunk (not already held, at most `maxChunk` long) with its tokens `tokens[tokenFrom .. tokenTo)` and its
   * features `ids[0 .. features)` and, in a cache made `withSums`, its sums `sums[0 .. SUMS_PER_RECORD)` (zeros when
   * absent); returns its record, or -1 for a chunk too long to keep.
   */
  add(
    key: Uint16Array,
    length: number,
    hash: number,
    tokens: Int32Array,
    tokenFrom: number,
    tokenTo: number,
    ids: Int32Array,
    features: number,
    sums?: Float64Array,
  ): number {
    if (length > this.limits.maxChunk) return -1;
    const tokenCount = tokenTo - tokenFrom;
    const unaligned = this.keyAt + ((length + 1) >>> 1) + tokenCount + features;
    const size = this.withSums ? (unaligned + 1) & ~1 : unaligned;
    if (size > this.limits.maxInts) return -1;
    if (this.entries === this.limits.maxEntries || this.used + size > this.limits.maxInts) {
      this.clear();
      this.resets++;
    } else if (this.entries === this.capacity) this.grow();
    const records = this.records;
    const record = this.used;
    records[record] = length;
    records[record + FEATURES] = features;
    records[record + TOKENS] = tokenCount;
    records[record + STAMP] = 0;
    if (this.withSums) {
      const sumsAt = (record + SUMS) >>> 1;
      for (let i = 0; i < SUMS_PER_RECORD; i++) this.sums[sumsAt + i] = sums ? sums[i]! : 0;
    }
    let k = record + this.keyAt;
    for (let i = 0; i < length; i += 2, k++) records[k] = key[i]! | (i + 1 < length ? key[i + 1]! << 16 : 0);
    records.set(tokens.subarray(tokenFrom, tokenTo), k);
    k += tokenCount;
    records.set(ids.subarray(0, features), k);
    this.used += size;
    this.entries++;
    const { slots, mask } = this;
    let at = Math.imul(hash, FNV_PRIME) & mask;
    while (slots[2 * at + 1] !== 0) at = (at + 1) & mask;
    slots[2 * at] = hash;
    slots[2 * at + 1] = record + 1;
    return record;
  }

  /** Doubles the table: every chunk moves to its slot in the larger table (the stored hash is all it takes). */
  private grow(): void {
    const old = this.slots;
    this.capacity *= 2;
    this.slots = new Int32Array(4 * this.capacity);
    this.mask = 2 * this.capacity - 1;
    const { slots, mask } = this;
    for (let from = 0; from < old.length; from += 2) {
      if (old[from + 1] === 0) continue;
      const hash = old[from]!;
      let at = Math.imul(hash, FNV_PRIME) & mask;
      while (slots[2 * at + 1] !== 0) at = (at + 1) & mask;
      slots[2 * at] = hash;
      slots[2 * at + 1] = old[from + 1]!;
    }
  }

  /** Forgets every chunk (the pool and the table keep their sizes); `resets` counts only the times it was full. */
  clear(): void {
    if (this.entries === 0) return;
    this.slots.fill(0);
    this.entries = this.used = 0;
  }
}
