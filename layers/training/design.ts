import type { DocCounts } from './corpus.ts';

/** A row-compressed sparse matrix over compact feature ids. */
export interface CsrMatrix {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/** The features a fold keeps: hash buckets with enough document frequency, and their smoothed IDF. */
export interface Vocabulary {
  /** Hash buckets kept, ascending; position = compact id. */
  buckets: Int32Array;
  idf: Float64Array;
  /** bucket -> compact id, or -1. */
  compactOf: Int32Array;
}

export interface DesignOptions {
  hashBits: number;
  minDf: number;
  sublinearTf: boolean;
  weighting?: 'tfidf' | 'binary';
  rowScalePower?: number;
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
  const compactOf = new Int32Array(size).fill(-1);
  const n = trainRows.length;
  let k = 0;
  for (let b = 0; b < size; b++) {
    if (df[b]! >= options.minDf) {
      buckets[k] = b;
      idf[k] = Math.log((1 + n) / (1 + df[b]!)) + 1;
      compactOf[b] = k++;
    }
  }
  return { buckets, idf, compactOf };
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
 * TF-IDF rows, each block L2-normalised separately (a FeatureUnion of two TfidfVectorizers); or, with binary
 * weighting, 1 per feature present and the whole row scaled by nnz^-rowScalePower.
 */
export function buildDesign(
  docs: readonly DocCounts[],
  rows: ArrayLike<number>,
  vocab: Vocabulary,
  options: DesignOptions,
): CsrMatrix {
  if (options.weighting === 'binary') return buildBinaryDesign(docs, rows, vocab, options.rowScalePower ?? 0);
  const { indptr, indices, values } = allocate(docs, rows);
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    const doc = docs[rows[r]!]!;
    for (const block of [doc.word, doc.char]) {
      const start = k;
      let norm = 0;
      for (let t = 0; t < block.index.length; t++) {
        const id = vocab.compactOf[block.index[t]!]!;
        if (id < 0) continue;
        const tf = options.sublinearTf ? 1 + Math.log(block.count[t]!) : block.count[t]!;
        const v = tf * vocab.idf[id]!;
        indices[k] = id;
        values[k] = v;
        norm += v * v;
        k++;
      }
      if (norm > 0) {
        const inv = 1 / Math.sqrt(norm);
        for (let t = start; t < k; t++) values[t]! *= inv;
      }
    }
    indptr[r + 1] = k;
  }
  return {
    rows: rows.length,
    cols: vocab.buckets.length,
    indptr,
    indices: indices.subarray(0, k),
    values: values.subarray(0, k),
  };
}

function buildBinaryDesign(
  docs: readonly DocCounts[],
  rows: ArrayLike<number>,
  vocab: Vocabulary,
  power: number,
): CsrMatrix {
  const { indptr, indices, values } = allocate(docs, rows);
  let k = 0;
  for (let r = 0; r < rows.length; r++) {
    const doc = docs[rows[r]!]!;
    const start = k;
    for (const block of [doc.word, doc.char]) {
      for (let t = 0; t < block.index.length; t++) {
        const id = vocab.compactOf[block.index[t]!]!;
        if (id < 0) continue;
        indices[k++] = id;
      }
    }
    const present = k - start;
    const scale = present > 0 ? present ** -power : 0;
    for (let t = start; t < k; t++) values[t] = scale;
    indptr[r + 1] = k;
  }
  return {
    rows: rows.length,
    cols: vocab.buckets.length,
    indptr,
    indices: indices.subarray(0, k),
    values: values.subarray(0, k),
  };
}

/** CSR arrays big enough for every occurrence of the rows' features (unused tail trimmed by the caller). */
function allocate(
  docs: readonly DocCounts[],
  rows: ArrayLike<number>,
): { indptr: Int32Array; indices: Int32Array; values: Float64Array } {
  let nnz = 0;
  for (let r = 0; r < rows.length; r++) {
    const doc = docs[rows[r]!]!;
    nnz += doc.word.index.length + doc.char.index.length;
  }
  return { indptr: new Int32Array(rows.length + 1), indices: new Int32Array(nnz), values: new Float64Array(nnz) };
}
