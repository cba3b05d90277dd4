/**
 * The vocabulary of an expert: which hash buckets it uses, each with a dense feature id (ids follow the buckets'
 * ascending order, so training's design columns and serving's arrays are the same numbering).
 *
 * A rank bitmap: one bit per bucket of the hash space says whether the vocabulary has it, and beside every 32-bit
 * word the number of ids before it, so `id = rank[word] + popcount(bits below the bucket)`. A lookup is one read of an
 * adjacent `[bits, rank]` pair and a few integer operations, with no probing and no branch on the data but "is it in
 * the vocabulary" (mostly yes: 97 % of a real abstract's n-grams are). For 2^20 buckets the table is 256 KB, small
 * enough for the L2 cache whatever the vocabulary's size. Model files store it as it sits in memory
 * (layers/model/weightsFile.ts).
 */

/** Bits set in a 32-bit integer (SWAR). */
function popcount(x: number): number {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

export class FeatureIndex {
  /** Per 32 buckets: the bitmap word, then the number of vocabulary buckets before it. */
  readonly table: Int32Array;
  readonly features: number;
  readonly hashBits: number;

  constructor(table: Int32Array, features: number, hashBits: number) {
    if (table.length !== FeatureIndex.tableLength(hashBits))
      throw new RangeError(
        `a feature index over 2^${hashBits} buckets has ${FeatureIndex.tableLength(hashBits)} words`,
      );
    this.table = table;
    this.features = features;
    this.hashBits = hashBits;
  }

  static tableLength(hashBits: number): number {
    return 2 * Math.max(1, 2 ** hashBits / 32);
  }

  /** The index of ascending, distinct buckets; bucket `buckets[i]` gets id `i`. */
  static build(buckets: ArrayLike<number>, hashBits: number): FeatureIndex {
    const table = new Int32Array(FeatureIndex.tableLength(hashBits));
    for (let i = 0; i < buckets.length; i++) {
      const bucket = buckets[i]!;
      if (i > 0 && bucket <= buckets[i - 1]!) throw new RangeError('buckets must be ascending and distinct');
      if (!(bucket >= 0 && bucket < 2 ** hashBits)) throw new RangeError(`bucket ${bucket} outside the hash space`);
      table[(bucket >>> 5) << 1]! |= 1 << (bucket & 31);
    }
    let rank = 0;
    for (let w = 0; w < table.length; w += 2) {
      table[w + 1] = rank;
      rank += popcount(table[w]!);
    }
    return new FeatureIndex(table, buckets.length, hashBits);
  }

  /** The id of a bucket, or -1 when the vocabulary does not have it. */
  lookup(bucket: number): number {
    const at = (bucket >>> 5) << 1;
    const bits = this.table[at]!;
    const bit = 1 << (bucket & 31);
    if ((bits & bit) === 0) return -1;
    return this.table[at + 1]! + popcount(bits & (bit - 1));
  }

  /** The buckets, in id order. */
  buckets(): Int32Array {
    const out = new Int32Array(this.features);
    let id = 0;
    for (let w = 0; w < this.table.length; w += 2)
      for (let bits = this.table[w]!; bits !== 0; bits &= bits - 1)
        out[id++] = (w << 4) + (31 - Math.clz32(bits & -bits));
    return out;
  }
}
