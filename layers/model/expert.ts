import { affineExplanation, type TextExplanation } from '#core/explanation.ts';
import { LABELS } from '#core/labels.ts';
import { attribute, type ScoredBlock } from './attribution.ts';
import { type Calibration, calibrateLogits } from './calibrator.ts';
import type { LinearWeights } from './estimator.ts';
import type { TermMatch } from './lexicon.ts';
import type { TextKind } from './router.ts';
import type { Vectorizer } from './vectorizer.ts';

/**
 * One expert: the vectorizer (n-grams, vocabulary, weighting), the linear estimator and the calibrator of the texts of
 * its kind(s). Serving scores a text in one pass (`Vectorizer.score`); evidence transforms it into its traced row,
 * whose terms add up to the served logits (within 1e-9, tested), and hands each feature's share to the words it came
 * from.
 */
export class Expert {
  constructor(
    readonly kinds: readonly TextKind[],
    readonly vectorizer: Vectorizer,
    readonly estimator: LinearWeights,
    readonly calibration: Calibration,
  ) {}

  /**
   * The calibrated logits of one text, written to `out[offset .. offset + 4)`, and (when given) its lexicon matches
   * per label to `matches` at the same offset.
   */
  score(text: string, out: Float64Array, offset: number, matches?: Float64Array): void {
    this.raw(text, out, offset, matches);
    this.calibrate(out, offset);
  }

  /** The uncalibrated logits of one text (and its lexicon matches): `score` before `calibrate`. */
  raw(text: string, out: Float64Array, offset: number, matches?: Float64Array): void {
    const found = this.vectorizer.score(text, this.estimator, out, offset);
    matches?.set(found, offset);
  }

  /** Applies this expert's calibration to raw logits in place. */
  calibrate(out: Float64Array, offset: number): void {
    calibrateLogits(this.calibration, out, offset);
  }

  /**
   * The calibrated logits of one text and their evidence: the logits are `score`'s, the traced row's terms add up to
   * them within 1e-9 (tested), and Platt scaling is affine per label (a·z + b), so every word's contribution is scaled
   * by a and b joins the bias.
   */
  explain(text: string, out: Float64Array, offset: number, matches?: Float64Array): TextExplanation {
    const L = LABELS.length;
    const { row, map, origins, slotOf, terms } = this.vectorizer.transformTraced(text);
    matches?.set(row.matches, offset);
    // The served logits themselves (`score`'s chunk sums add the row's terms in another order than `rowLogits`, so
    // the two may differ in the last bits): the evidence decomposes the very number the answer gave.
    this.vectorizer.score(text, this.estimator, out, offset);
    const raw = out.slice(offset, offset + L);
    calibrateLogits(this.calibration, out, offset);
    const { weights, bias, dense } = this.estimator;
    const blocks: ScoredBlock[] = row.blocks.map((block, b) => {
      const value = new Float64Array(block.length);
      const w = new Float64Array(block.length * L);
      for (let t = 0; t < block.length; t++) {
        value[t] = block.raw[t]! * row.scales[b]!;
        for (let l = 0; l < L; l++) w[t * L + l] = weights[block.ids[t]! * L + l]!;
      }
      return { kind: b === 0 ? 'word' : 'char', slotOf: slotOf[b]!, value, weights: w };
    });
    if (dense && terms.length > 0) blocks.push(lexiconBlock(terms, row.dense, dense));
    const explanation = attribute(map, origins, blocks, Float64Array.from(bias), raw);
    return affineExplanation(explanation, this.calibration.a, this.calibration.b, out.slice(offset, offset + L));
  }
}

/**
 * The lexicon block for attribution: feature l (label l's term count) occurs once per matched term of label l, over
 * the term's tokens, so each term's share of `value × weight` goes to its words and the sum stays exact.
 */
function lexiconBlock(terms: readonly TermMatch[], values: Float64Array, dense: ArrayLike<number>): ScoredBlock {
  const L = LABELS.length;
  const slots: number[] = [];
  const ranges: number[] = [];
  for (const term of terms)
    for (let l = 0; l < L; l++)
      if ((term.labels >> l) & 1) {
        slots.push(l);
        ranges.push(term.first, term.last);
      }
  return {
    kind: 'word',
    ranges: Int32Array.from(ranges),
    slotOf: Int32Array.from(slots),
    value: Float64Array.from(values),
    weights: Float64Array.from({ length: L * L }, (_, i) => dense[i]!),
  };
}
