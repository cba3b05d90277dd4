import { describe, expect, it } from 'vitest';
import { ChunkCache, FEATURES, SUMS, SUMS_PER_RECORD, TOKENS } from '#model/chunkCache.ts';
import { type LinearWeights, rowLogits } from '#model/estimator.ts';
import { FeatureIndex } from '#model/featureIndex.ts';
import { NgramExtractor } from '#model/ngrams.ts';
import type { Row } from '#model/row.ts';
import { Vectorizer, type VectorizerSettings } from '#model/vectorizer.ts';

const key = (text: string): Uint16Array => Uint16Array.from(text, (c) => c.charCodeAt(0));
const none = new Int32Array(0);

describe('the chunk cache', () => {
  it('finds a chunk only by its exact code units, odd and even lengths, whatever its hash says', () => {
    const cache = new ChunkCache({ maxEntries: 8, maxChunk: 48, maxInts: 1 << 16 });
    const tokens = Int32Array.of(7, 8);
    const ids = Int32Array.of(3, 1, 4);
    const even = cache.add(key(' heart '), 7, 42, tokens, 0, 2, ids, 3);
    const odd = cache.add(key(' ab '), 4, 43, none, 0, 0, ids, 1);
    expect(cache.find(key(' heart '), 7, 42)).toBe(even);
    expect(cache.find(key(' ab '), 4, 43)).toBe(odd);
    // Same hash and length, other code units (a hash collision): not found.
    expect(cache.find(key(' heard '), 7, 42)).toBe(-1);
    expect(cache.find(key(' ac '), 4, 43)).toBe(-1);
    // Odd lengths: the last code unit, alone in its int32, is compared too.
    const abc = cache.add(key('abc'), 3, 44, none, 0, 0, ids, 0);
    expect(cache.find(key('abc'), 3, 44)).toBe(abc);
    expect(cache.find(key('abd'), 3, 44)).toBe(-1);
    // Same code units, other hash: not found either (the caller's hash is the key's).
    expect(cache.find(key(' heart '), 7, 41)).toBe(-1);
    const records = cache.records;
    expect(records[even + FEATURES]).toBe(3);
    expect(records[even + TOKENS]).toBe(2);
    const t = cache.tokensAt(even);
    expect(Array.from(records.subarray(t, t + 2))).toEqual([7, 8]);
    const at = cache.idsAt(even);
    expect(Array.from(records.subarray(at, at + 3))).toEqual([3, 1, 4]);
  });

  it("keeps each chunk's sums when made withSums, 8-byte aligned whatever the lengths before, zeros when given none", () => {
    const cache = new ChunkCache({ maxEntries: 8, maxChunk: 48, maxInts: 1 << 16 }, { withSums: true });
    const sums = Float64Array.of(0.1, -2.5, 1e-300, 3, Math.PI);
    const records: number[] = [];
    // Odd key lengths and odd id counts: a record that ended at an odd offset would misalign the next one's sums.
    for (const [i, word] of [' a ', ' abcd ', ' ab ', ' abcde '].entries())
      records.push(cache.add(key(word), word.length, 100 + i, Int32Array.of(9), 0, 1, Int32Array.of(1, 2, 3), 3, sums));
    const bare = cache.add(key(' z '), 3, 7, none, 0, 0, Int32Array.of(5), 1);
    for (const record of records) {
      expect(record % 2).toBe(0);
      const at = (record + SUMS) / 2;
      expect(Array.from(cache.sums.subarray(at, at + SUMS_PER_RECORD))).toEqual(Array.from(sums));
      expect(Array.from(cache.records.subarray(cache.idsAt(record), cache.idsAt(record) + 3))).toEqual([1, 2, 3]);
    }
    expect(cache.records[cache.tokensAt(records[3]!)]).toBe(9);
    expect(cache.find(key(' abcde '), 7, 103)).toBe(records[3]);
    const at = (bare + SUMS) / 2;
    expect(Array.from(cache.sums.subarray(at, at + SUMS_PER_RECORD))).toEqual([0, 0, 0, 0, 0]);
    // Without sums (binary presence), a record holds no room for them: header, key, tokens, ids, back to back.
    const plain = new ChunkCache({ maxEntries: 8, maxChunk: 48, maxInts: 1 << 16 });
    const first = plain.add(key(' a '), 3, 1, Int32Array.of(9), 0, 1, Int32Array.of(1, 2, 3), 3, sums);
    const second = plain.add(key(' b '), 3, 2, none, 0, 0, none, 0);
    expect(second - first).toBe(4 + 2 + 1 + 3);
    expect(plain.records[plain.tokensAt(first)]).toBe(9);
    expect(Array.from(plain.records.subarray(plain.idsAt(first), plain.idsAt(first) + 3))).toEqual([1, 2, 3]);
  });

  it('keeps code units above 0x7fff and never keeps a chunk longer than maxChunk', () => {
    const cache = new ChunkCache({ maxEntries: 4, maxChunk: 6, maxInts: 1 << 16 });
    const wide = key(' \uffff\u8000 ');
    const e = cache.add(wide, 4, 9, none, 0, 0, none, 0);
    expect(cache.find(wide, 4, 9)).toBe(e);
    expect(cache.find(key(' \uffff\u8001 '), 4, 9)).toBe(-1);
    expect(cache.add(key(' toolong '), 9, 1, none, 0, 0, none, 0)).toBe(-1);
    expect(cache.size).toBe(1);
  });

  it('empties itself when its pool would pass maxInts, and never keeps a record larger than the pool', () => {
    const cache = new ChunkCache({ maxEntries: 16, maxChunk: 48, maxInts: 16 });
    const ids = Int32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    // A record of ' ab ' with 8 features: 4 header ints, 2 key ints, 8 ids = 14 ints.
    expect(cache.add(key(' ab '), 4, 1, none, 0, 0, ids, 8)).toBe(0);
    expect(cache.add(key(' cd '), 4, 2, none, 0, 0, ids, 8)).toBe(0); // 28 > 16: emptied first
    expect(cache.resets).toBe(1);
    expect(cache.find(key(' ab '), 4, 1)).toBe(-1);
    expect(
      cache.add(
        key(' ef '),
        4,
        3,
        none,
        0,
        0,
        Int32Array.from({ length: 20 }, (_, i) => i),
        20,
      ),
    ).toBe(-1);
    expect(cache.records.length).toBeLessThanOrEqual(16);
  });

  it('empties itself when full and refills', () => {
    const cache = new ChunkCache({ maxEntries: 2, maxChunk: 48, maxInts: 1 << 16 });
    cache.add(key(' a '), 3, 1, none, 0, 0, none, 0);
    cache.add(key(' b '), 3, 2, none, 0, 0, none, 0);
    expect(cache.size).toBe(2);
    const c = cache.add(key(' c '), 3, 3, none, 0, 0, none, 0);
    expect(cache.size).toBe(1);
    expect(cache.resets).toBe(1);
    expect(cache.find(key(' a '), 3, 1)).toBe(-1);
    expect(cache.find(key(' c '), 3, 3)).toBe(c);
  });

  it('grows its table as chunks come and still finds every one, colliding hashes included, until it is full', () => {
    const maxEntries = 1 << 13;
    const cache = new ChunkCache({ maxEntries, maxChunk: 48, maxInts: 1 << 20 });
    const chunk = (i: number) => key(` w${i} `);
    // Every 8th chunk shares its hash with the one before: found by its code units, in any table size.
    const hashOf = (i: number) => (i % 8 === 7 ? Math.imul(i - 1, 0x9e3779b1) : Math.imul(i, 0x9e3779b1));
    const records: number[] = [];
    for (let i = 0; i < maxEntries; i++) {
      const k = chunk(i);
      records.push(cache.add(k, k.length, hashOf(i), none, 0, 0, Int32Array.of(i), 1));
      // Through every doubling (1,024 → 8,192 chunks), everything kept so far is found.
      if ((i & (i + 1)) === 0 || i === maxEntries - 1)
        for (let j = 0; j <= i; j++) expect(cache.find(chunk(j), chunk(j).length, hashOf(j))).toBe(records[j]);
    }
    expect(cache.size).toBe(maxEntries);
    expect(cache.resets).toBe(0);
    expect(cache.find(key(' w-1 '), 5, hashOf(1))).toBe(-1);
    // Full: the next chunk empties it, as before the table grew.
    const next = key(' next ');
    const kept = cache.add(next, next.length, 12345, none, 0, 0, none, 0);
    expect(cache.resets).toBe(1);
    expect(cache.size).toBe(1);
    expect(cache.find(next, next.length, 12345)).toBe(kept);
    expect(cache.find(chunk(0), chunk(0).length, hashOf(0))).toBe(-1);
  });
});

/**
 * The row a vectorizer must give, from first principles: every occurrence looked up in text order, features listed
 * at their first occurrence, with their counts (what the cache must reproduce exactly).
 */
function oracle(text: string, settings: VectorizerSettings, index: FeatureIndex) {
  const { word, char } = new NgramExtractor(settings).extract(text);
  return [word, char].map((occurrences) => {
    const counts = new Map<number, number>();
    for (const bucket of occurrences) {
      const id = index.lookup(bucket);
      if (id >= 0) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return { ids: [...counts.keys()], counts: [...counts.values()] };
  });
}

const blocks = (row: Row) =>
  row.blocks.map((b) => ({
    ids: Array.from(b.ids.subarray(0, b.length)),
    counts: Array.from(b.counts.subarray(0, b.length)),
  }));

const TEXTS = [
  'Chest pain and troponin rise in the emergency department; the troponin assay was repeated.',
  'The the the the heart heart HEART Heart (heart) heart, heart.',
  'Hepatic fibrosis — ﬁbrosis — Ｈｅａｒｔ failure and café-au-lait spots in 12 of 40 patients.',
  `A chunk far longer than any cache keeps: ${'x'.repeat(200)} then ordinary words again and again.`,
  'glioma glioblastoma glioma astrocytoma glioma',
  'a',
  '   ',
  'Short text.',
  'Chest pain and troponin rise in the emergency department; the troponin assay was repeated.',
];

/** The default cache, tiny ones that empty themselves mid-text, and one that keeps no chunk at all. */
const CACHE_LIMITS = [
  undefined,
  { maxEntries: 2, maxChunk: 8, maxInts: 1 << 16 },
  { maxEntries: 1, maxChunk: 0, maxInts: 1 << 16 },
  { maxEntries: 1 << 10, maxChunk: 48, maxInts: 64 },
];

describe('a vectorizer with its chunk cache', () => {
  const base = { hashBits: 12, wordNgrams: [1, 2] as [number, number], sublinearTf: true };
  // A vocabulary of every other bucket the texts use, so some n-grams are out of it.
  const vocabulary = (settings: VectorizerSettings) => {
    const extractor = new NgramExtractor(settings);
    const buckets = new Set<number>();
    for (const text of TEXTS)
      for (const b of [...extractor.extract(text).word, ...extractor.extract(text).char]) buckets.add(b);
    const kept = [...buckets].sort((a, b) => a - b).filter((_, i) => i % 2 === 0);
    return FeatureIndex.build(kept, settings.hashBits);
  };

  for (const settings of [
    { ...base, charNgrams: [2, 5], weighting: 'binary', rowScalePower: 0.25 },
    { ...base, charNgrams: [3, 5] },
  ] as VectorizerSettings[]) {
    it(`lists each block's features at their first occurrence with their counts (${settings.weighting ?? 'tfidf'}), with any cache size`, () => {
      const index = vocabulary(settings);
      const idf = Float64Array.from({ length: index.features }, (_, i) => 1 + (i % 7) / 3);
      for (const limits of CACHE_LIMITS) {
        const vectorizer = new Vectorizer(settings, index, idf, undefined, limits);
        // Twice over: the second pass finds the chunks the first one kept (or, for the tiny caches, refills).
        for (const text of [...TEXTS, ...TEXTS]) {
          const row = vectorizer.transform(text);
          const expected = oracle(text, settings, index);
          if (settings.weighting === 'binary') for (const b of expected) b.counts = b.counts.map(() => 1);
          expect(blocks(row), `${text} ${JSON.stringify(limits)}`).toEqual(expected);
        }
      }
    });

    it(`scores every text as rowLogits scores its row (${settings.weighting ?? 'tfidf'}), whatever the cache did before and whichever weights come`, () => {
      const index = vocabulary(settings);
      const idf = Float64Array.from({ length: index.features }, (_, i) => 1 + (i % 7) / 3);
      // Two estimators with different weights: a TF-IDF cache's chunk sums belong to the weights they were made with.
      const estimator = (seed: number): LinearWeights => ({
        weights: Float32Array.from({ length: 4 * index.features }, (_, i) => Math.sin(seed * 1000 + i) * 2),
        bias: Float64Array.of(0.5, -0.5, 0.25, -0.25),
        dense: undefined,
      });
      const [a, b] = [estimator(1), estimator(2)];
      const binary = settings.weighting === 'binary';
      const fused = new Float64Array(4);
      const plain = new Float64Array(4);
      // Long runs of one word too: a feature seen thousands of times, whose correction from chunk sums would cancel
      // its way to errors of 1e-11 and more (such a block is summed feature by feature), and one seen 256 times.
      const texts = [...TEXTS, 'heart '.repeat(20_000), 'x '.repeat(100_000), 'troponin '.repeat(256)];
      for (const limits of CACHE_LIMITS) {
        const serving = new Vectorizer(settings, index, idf, undefined, limits);
        const reference = new Vectorizer(settings, index, idf, undefined);
        // The serving vectorizer fills its cache through transform first (no weights bound yet), then scores under
        // a, b and a again, each over the texts twice: cached chunks, new ones, emptied caches and chunks never kept.
        for (const text of texts) serving.transform(text);
        for (const model of [a, b, a])
          for (const text of [...texts, ...texts]) {
            serving.score(text, model, fused, 0);
            rowLogits(reference.transform(text), model, plain, 0);
            const where = `${text} ${JSON.stringify(limits)}`;
            if (binary) expect(Array.from(fused), where).toEqual(Array.from(plain));
            else
              fused.forEach((z, l) => {
                expect(Math.abs(z - plain[l]!), where).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(plain[l]!)));
              });
          }
      }
    });
  }
});
