import { affineExplanation, type TextExplanation } from '#core/explanation.ts';
import { LABELS } from '#core/labels.ts';
import { attribute, type ScoredBlock } from './attribution.ts';
import { type Calibration, calibrateLogits } from './calibrator.ts';
import { type LinearWeights, rowLogits } from './estimator.ts';
import type { TextKind } from './router.ts';
import type { Vectorizer } from './vectorizer.ts';

/**
 * One expert: the vectorizer (n-grams, vocabulary, weighting), the linear estimator and the calibrator of the texts of
 * its kind(s). A text is transformed once; its row gives the logits and, when asked, the evidence for those logits.
 */
export class Expert {
  constructor(
    readonly kinds: readonly TextKind[],
    readonly vectorizer: Vectorizer,
    readonly estimator: LinearWeights,
    readonly calibration: Calibration,
  ) {}

  /** The calibrated logits of one text, written to `out[offset .. offset + 4)`. */
  score(text: string, out: Float64Array, offset: number): void {
    rowLogits(this.vectorizer.transform(text), this.estimator, out, offset);
    calibrateLogits(this.calibration, out, offset);
  }

  /**
   * The calibrated logits of one text and their evidence: the traced row is the very row `score` sees (tested), and
   * Platt scaling is affine per label (a·z + b), so every word's contribution is scaled by a and b joins the bias.
   */
  explain(text: string, out: Float64Array, offset: number): TextExplanation {
    const L = LABELS.length;
    const { row, map, origins, slotOf } = this.vectorizer.transformTraced(text);
    rowLogits(row, this.estimator, out, offset);
    const raw = out.slice(offset, offset + L);
    calibrateLogits(this.calibration, out, offset);
    const { weights, bias } = this.estimator;
    const blocks: ScoredBlock[] = row.blocks.map((block, b) => {
      const value = new Float64Array(block.length);
      const w = new Float64Array(block.length * L);
      for (let t = 0; t < block.length; t++) {
        value[t] = block.raw[t]! * row.scales[b]!;
        for (let l = 0; l < L; l++) w[t * L + l] = weights[block.ids[t]! * L + l]!;
      }
      return { kind: b === 0 ? 'word' : 'char', slotOf: slotOf[b]!, value, weights: w };
    });
    const explanation = attribute(map, origins, blocks, Float64Array.from(bias), raw);
    return affineExplanation(explanation, this.calibration.a, this.calibration.b, out.slice(offset, offset + L));
  }
}
