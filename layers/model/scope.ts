import { LABELS } from '#core/labels.ts';
import { sigmoid } from './calibrator.ts';
import type { Expert } from './expert.ts';
import type { TextKind } from './router.ts';

/**
 * The scope rule: which expert answers a text. Normally the expert of the text's kind. But the real-abstract expert
 * learned the training file's priors (a real abstract without specific words is usually neurological there), so a
 * long text with no medical word would still get a confident label. When a text routed to another kind matched no
 * term of the medical lexicon, the `honest` expert (trained with non-medical background texts, so that no evidence
 * means no label) scores it too, and answers instead when even its most probable label stays below `below` (raw,
 * before calibration): there is no medical evidence to speak of, and its low probabilities say so. The rule
 * applies to the kinds it names (real abstracts: templates are recognised by their fixed phrasing anyway).
 * Serving and the cross-validation both call `answer`, so the figures are those of the shipped rule.
 */

export interface ScopeRule {
  /** The kind whose expert has honest priors. */
  honest: TextKind;
  /** The kinds the rule applies to (texts of other kinds are always answered by their own expert). */
  kinds: TextKind[];
  /** The honest expert answers when its highest raw probability is below this (and no lexicon term matched). */
  below: number;
}

export interface Answerer {
  expertOf(kind: TextKind): Expert;
  scope?: ScopeRule;
}

const L = LABELS.length;

/**
 * Scores one text into `out[offset ..]` (calibrated logits) and `matches` (lexicon matches per label, when the model
 * has a lexicon), and returns the kind of the expert that answered. `scratch` holds `LABELS.length` values.
 */
export function answer(
  model: Answerer,
  text: string,
  kind: TextKind,
  out: Float64Array,
  offset: number,
  matches: Float64Array | undefined,
  scratch: Float64Array,
): TextKind {
  const expert = model.expertOf(kind);
  const scope = model.scope;
  if (!scope?.kinds.includes(kind) || !matches) {
    expert.score(text, out, offset, matches);
    return kind;
  }
  expert.raw(text, out, offset, matches);
  let matched = false;
  for (let l = 0; l < L; l++) if (matches[offset + l]! > 0) matched = true;
  if (!matched) {
    const honest = model.expertOf(scope.honest);
    honest.raw(text, scratch, 0);
    let top = 0;
    for (let l = 0; l < L; l++) top = Math.max(top, sigmoid(scratch[l]!));
    if (top < scope.below) {
      out.set(scratch, offset);
      honest.calibrate(out, offset);
      return scope.honest;
    }
  }
  expert.calibrate(out, offset);
  return kind;
}
