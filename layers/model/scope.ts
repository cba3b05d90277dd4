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
 * Serving and the cross-validation both call `answerAll`, so the figures are those of the shipped rule.
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
 * Scores the texts `order` lists (indices into `texts` and `kinds`): each text's calibrated logits into
 * `out[i * L ..]`, its lexicon matches (when the model has a lexicon) into `matches[i * L ..]`, and (when asked) the
 * kind of the expert that answered into `answeredBy[i]`.
 *
 * In two passes: every text by the expert of its kind, then the honest expert over the texts the rule puts to it.
 * Each text's answer depends on that text alone, so the order changes no answer; it keeps one expert's tables in
 * the processor's caches for its run, where alternating experts text by text made each evict the other's (a real
 * abstract without a lexicon term then cost the next one its warm caches).
 */
export function answerAll(
  model: Answerer,
  texts: readonly string[],
  kinds: readonly TextKind[],
  order: Iterable<number>,
  out: Float64Array,
  matches: Float64Array | undefined,
  answeredBy: TextKind[] = [],
): void {
  const scope = model.scope;
  const unmatched: number[] = [];
  for (const i of order) {
    const kind = kinds[i]!;
    const expert = model.expertOf(kind);
    answeredBy[i] = kind;
    if (!scope?.kinds.includes(kind) || !matches) {
      expert.score(texts[i]!, out, i * L, matches);
      continue;
    }
    expert.raw(texts[i]!, out, i * L, matches);
    let matched = false;
    for (let l = 0; l < L; l++) if (matches[i * L + l]! > 0) matched = true;
    if (matched) expert.calibrate(out, i * L);
    else unmatched.push(i);
  }
  if (unmatched.length === 0) return;
  const honest = model.expertOf(scope!.honest);
  const scratch = new Float64Array(L);
  for (const i of unmatched) {
    honest.raw(texts[i]!, scratch, 0);
    let top = 0;
    for (let l = 0; l < L; l++) top = Math.max(top, sigmoid(scratch[l]!));
    if (top < scope!.below) {
      out.set(scratch, i * L);
      honest.calibrate(out, i * L);
      answeredBy[i] = scope!.honest;
    } else {
      model.expertOf(kinds[i]!).calibrate(out, i * L);
    }
  }
}
