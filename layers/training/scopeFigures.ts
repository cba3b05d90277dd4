import { type ConfidenceRule, confidenceOf } from '#core/confidence.ts';
import { LABELS } from '#core/labels.ts';
import { sigmoid } from '#model/calibrator.ts';
import type { Expert } from '#model/expert.ts';
import type { Lexicon } from '#model/lexicon.ts';
import { Router, type TextKind } from '#model/router.ts';
import { answerAll } from '#model/scope.ts';
import type { ExpertPlan, ExpertsCvRun, Sample, TrainedExpert } from './experts.ts';
import { answererOf, servingExpert } from './experts.ts';
import { uniformThresholds } from './thresholds.ts';

/**
 * How the confidence rule (layers/core/confidence.ts) sorts answers: on the cross-validated samples (in scope: how
 * many real abstracts, titles and first sentences it would call out of scope, and how often its `high` answers are
 * right) and on texts that are not abstracts (how many it calls out of scope, and how many still get p ≥ 0.9).
 */

export interface ScopeShares {
  n: number;
  out_of_scope: number;
  low: number;
  high: number;
  /** Share whose most probable label has p ≥ 0.9. */
  confident: number;
}

const L = LABELS.length;
const half = uniformThresholds(0.5);

type Scored = { proba: ArrayLike<number>; matches?: ArrayLike<number>; kind: TextKind };

function shares(items: Scored[], rule: ConfidenceRule): ScopeShares {
  const out = { n: items.length, out_of_scope: 0, low: 0, high: 0, confident: 0 };
  for (const item of items) {
    out[confidenceOf(item, half, rule)]++;
    if (Math.max(...Array.from(item.proba)) >= 0.9) out.confident++;
  }
  for (const k of ['out_of_scope', 'low', 'high', 'confident'] as const) out[k] /= Math.max(1, items.length);
  return out;
}

/** Cross-validated shares per group of samples, and the top-1 accuracy of the `high` answers. */
export function inScopeFigures(
  samples: readonly Sample[],
  truthOfRow: readonly number[][],
  run: ExpertsCvRun,
  rule: ConfidenceRule,
): Record<string, ScopeShares & { high_top1?: number }> {
  const groups: Record<string, (s: Sample) => boolean> = {
    real: (s) => s.source === 'row' && s.rowKind === 'real',
    template: (s) => s.source === 'row' && s.rowKind === 'template',
    titles: (s) => s.source === 'title' && s.rowKind === 'real',
    first_sentences: (s) => s.source === 'firstSentence' && s.rowKind === 'real',
    background: (s) => s.source === 'background',
  };
  const out: Record<string, ScopeShares & { high_top1?: number }> = {};
  for (const [name, keep] of Object.entries(groups)) {
    const ids = samples.map((s, i) => (keep(s) && run.evaluated[i] ? i : -1)).filter((i) => i >= 0);
    if (ids.length === 0) continue;
    const items: Scored[] = ids.map((i) => ({
      kind: samples[i]!.kind,
      proba: run.proba.subarray(i * L, i * L + L),
      ...(run.matches ? { matches: run.matches.subarray(i * L, i * L + L) } : {}),
    }));
    const figures: ScopeShares & { high_top1?: number } = shares(items, rule);
    if (name !== 'background') {
      let high = 0;
      let right = 0;
      ids.forEach((i, k) => {
        if (confidenceOf(items[k]!, half, rule) !== 'high') return;
        const p = items[k]!.proba;
        let best = 0;
        for (let l = 1; l < L; l++) if (p[l]! > p[best]!) best = l;
        high++;
        if (truthOfRow[samples[i]!.row]!.includes(best)) right++;
      });
      figures.high_top1 = high > 0 ? right / high : Number.NaN;
    }
    out[name] = figures;
  }
  return out;
}

/**
 * The final experts of a plan as a scorer of any text, answering exactly as the shipped model does: route, the
 * scope rule (layers/model/scope.ts: a real-length text without a lexicon term may be answered by the honest
 * expert), calibrate. The kind returned is the router's, as in a served prediction.
 */
export function servedScorer(trained: readonly TrainedExpert[], plan: ExpertPlan, lexicon?: Lexicon) {
  const experts: Expert[] = trained.map((t) => servingExpert(t.spec, t.fitted, lexicon, t.calibration));
  const model = answererOf(plan, experts);
  const route = new Router(plan.router);
  return (text: string) => {
    const kind = route.kindOf(text);
    const logits = new Float64Array(L);
    const matches = lexicon ? new Float64Array(L) : undefined;
    answerAll(model, [text], [kind], [0], logits, matches);
    return { kind, proba: logits.map(sigmoid), ...(matches ? { matches } : {}) };
  };
}

export function outOfScopeFigures(
  score: ReturnType<typeof servedScorer>,
  texts: readonly string[],
  rule: ConfidenceRule,
): ScopeShares {
  return shares(texts.map(score), rule);
}
