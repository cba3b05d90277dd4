import { LABELS } from '#core/labels.ts';
import { FeatureIndex } from '#model/featureIndex.ts';
import { type Block, newRow } from '#model/row.ts';
import { type VectorizerSettings, weighRow } from '#model/vectorizer.ts';
import type { DocCounts, SparseCounts } from './corpus.ts';

/** A row-compressed sparse matrix over feature ids. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/** The features a fold keeps: hash buckets with enough document frequency, and their smoothed IDF. */
export interface Vocabulary {
  /** Hash buckets kept, ascending; position = feature id (the design matrix's column). */
  buckets: Int32Array;
  idf: Float64Array;
  /** bucket → feature id: the lookup serving uses. */
  index: FeatureIndex;
}

export interface DesignOptions extends VectorizerSettings {
  minDf: number;
}

/**
 * Builds the vocabulary from the training rows only (document frequency ≥ minDf), with scikit-learn's smoothed
 * IDF: ln((1 + n) / (1 + df)) + 1.
 */
export function buildVocabulary(
  docs: readonly DocCounts[],
  trainRows: ArrayLike<number>,
  options: DesignOptions,
): Vocabulary {
  const size = 1 << options.hashBits;
  const df = new Int32Array(size);
  for (let r = 0; r < trainRows.length; r++) {
    const doc = docs[trainRows[r]!]!;
    // A bucket shared by both blocks counts once per document.
    mergeDistinct(doc.word.index, doc.char.index, (b) => df[b]!++);
  }
  let kept = 0;
  for (let b = 0; b < size; b++) if (df[b]! >= options.minDf) kept++;
  const buckets = new Int32Array(kept);
  const idf = new Float64Array(kept);
  const n = trainRows.length;
  let k = 0;
  for (let b = 0; b < size; b++) {
    if (df[b]! >= options.minDf) {
      buckets[k] = b;
      idf[k++] = Math.log((1 + n) / (1 + df[b]!)) + 1;
    }
  }
  return { buckets, idf, index: FeatureIndex.build(buckets, options.hashBits) };
}

function mergeDistinct(a: Int32Array, b: Int32Array, visit: (bucket: number) => void): void {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = i < a.length ? a[i]! : Infinity;
    const y = j < b.length ? b[j]! : Infinity;
    if (x < y) visit(a[i++]!);
    else if (y < x) visit(b[j++]!);
    else {
      visit(a[i++]!);
      j++;
    }
  }
}

/**
 * The design matrix of the given documents: each row weighted by the vectorizer's own `weighRow` (the one definition
 * of a feature's value, shared with serving and evidence), stored as raw value × block scale. With the lexicon, its
 * four features are the last columns (ids `features .. features + 3`).
 */
export function buildDesign(
  docs: readonly DocCounts[],
  rows: ArrayLike<number>,
  vocab: { index: FeatureIndex; idf: ArrayLike<number> | undefined },
  options: VectorizerSettings,
): CsrMatrix {
  const dense = options.lexicon ? LABELS.length : 0;
  let nnz = 0;
  for (let r = 0; r < rows.length; r++) {
    const doc = docs[rows[r]!]!;
    nnz += doc.word.index.length + doc.char.index.length + dense;
  }
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  const row = newRow();
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    const doc = docs[rows[r]!]!;
    inVocabulary(doc.word, vocab, row.blocks[0]);
    inVocabulary(doc.char, vocab, row.blocks[1]);
    if (doc.matches) row.matches.set(doc.matches);
    else row.matches.fill(0);
    weighRow(row, vocab.idf, options);
    for (let b = 0; b < 2; b++) {
      const block = row.blocks[b]!;
      const scale = row.scales[b]!;
      for (let t = 0; t < block.length; t++) {
        indices[k] = block.ids[t]!;
        values[k++] = block.raw[t]! * scale;
      }
    }
    for (let l = 0; l < dense; l++) {
      if (row.dense[l] === 0) continue;
      indices[k] = vocab.index.features + l;
      values[k++] = row.dense[l]!;
    }
    indptr[r + 1] = k;
  }
  return {
    rows: rows.length,
    cols: vocab.index.features + dense,
    indptr,
    indices: indices.subarray(0, k),
    values: values.subarray(0, k),
  };
}

/** A block's counts restricted to the vocabulary, in bucket order. */
function inVocabulary(counts: SparseCounts, vocab: { index: FeatureIndex }, block: Block): void {
  block.reserve(counts.index.length);
  let length = 0;
  for (let t = 0; t < counts.index.length; t++) {
    const id = vocab.index.lookup(counts.index[t]!);
    if (id < 0) continue;
    block.ids[length] = id;
    block.counts[length++] = counts.count[t]!;
  }
  block.length = length;
}
