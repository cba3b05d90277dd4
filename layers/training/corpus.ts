import {
  countOccurrences,
  type FeatureConfig,
  FeatureExtractor,
  normalizeText,
  type SparseCounts,
} from '#core/backends/linear/features.ts';

/** Per-document term counts of both feature blocks, computed once and shared by every fold. */
export interface DocCounts {
  word: SparseCounts;
  char: SparseCounts;
}

export function featurizeCorpus(
  texts: readonly string[],
  config: FeatureConfig,
  onProgress?: (done: number) => void,
): DocCounts[] {
  const extractor = new FeatureExtractor(config);
  return texts.map((text, i) => {
    const raw = extractor.extract(normalizeText(text));
    const doc = { word: countOccurrences(raw.word), char: countOccurrences(raw.char) };
    if (onProgress && (i + 1) % 256 === 0) onProgress(i + 1);
    return doc;
  });
}
