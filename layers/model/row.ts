import { LABELS } from '#core/labels.ts';

/**
 * A text's feature row, as the vectorizer builds it (layers/model/vectorizer.ts) and the estimator scores it
 * (layers/model/estimator.ts): its own module, so that neither of the two imports the other for it.
 */

/** The distinct in-vocabulary features of one block of a row. Reused from row to row; grows as needed. */
export class Block {
  ids = new Int32Array(64);
  counts = new Int32Array(64);
  raw = new Float64Array(64);
  length = 0;

  reserve(capacity: number): void {
    if (this.ids.length >= capacity) return;
    const size = Math.max(capacity, 2 * this.ids.length);
    this.ids = new Int32Array(size);
    this.counts = new Int32Array(size);
    this.raw = new Float64Array(size);
  }
}

/** A text's feature row: the word block, the char block, each block's scale, and the lexicon block. */
export interface Row {
  readonly blocks: readonly [Block, Block];
  readonly scales: Float64Array;
  /** Per label: lexicon matches (all 0 without a lexicon). */
  readonly matches: Float64Array;
  /** Per label: the lexicon block's values, `lexiconValue(matches)` (layers/model/vectorizer.ts). */
  readonly dense: Float64Array;
  /** Whether every raw value is 1 (binary presence; `weighRow` keeps it): scoring then adds weights unmultiplied. */
  unit: boolean;
}

export const newRow = (): Row => ({
  blocks: [new Block(), new Block()],
  scales: new Float64Array(2),
  matches: new Float64Array(LABELS.length),
  dense: new Float64Array(LABELS.length),
  unit: false,
});
