import { NgramExtractor } from '#model/ngrams.ts';
import type { VectorizerSettings } from '#model/vectorizer.ts';

/** Sorted distinct buckets and their counts: the term-frequency vector of one block. */
export interface SparseCounts {
  index: Int32Array;
  count: Float64Array;
}

/** Per-document term counts of both feature blocks, computed once and shared by every fold. */
export interface DocCounts {
  word: SparseCounts;
  char: SparseCounts;
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

/** Every text's n-gram counts, extracted by the same extractor serving uses (layers/model/ngrams.ts). */
export function featurizeCorpus(
  texts: readonly string[],
  settings: VectorizerSettings,
  onProgress?: (done: number) => void,
): DocCounts[] {
  const extractor = new NgramExtractor(settings);
  return texts.map((text, i) => {
    const ngrams = extractor.extract(text);
    const doc = { word: countOccurrences(ngrams.word), char: countOccurrences(ngrams.char) };
    if (onProgress && (i + 1) % 256 === 0) onProgress(i + 1);
    return doc;
  });
}
