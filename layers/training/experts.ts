import { decide } from '#core/decision.ts';
import { LABELS } from '#core/labels.ts';
import { type Metrics, MetricsAccumulator } from '#core/metrics.ts';
import { fitPlatt, IDENTITY_PLATT, type Platt, sigmoid } from '#model/calibrator.ts';
import { Expert } from '#model/expert.ts';
import type { Lexicon } from '#model/lexicon.ts';
import { Router, type RouterSettings, type TextKind } from '#model/router.ts';
import { type Answerer, answerAll, type ScopeRule } from '#model/scope.ts';
import { Vectorizer, type VectorizerSettings } from '#model/vectorizer.ts';
import type { BackgroundOptions } from './background.ts';
import { expectedCalibrationError } from './calibration.ts';
import { type DocCounts, featurizeCorpus } from './corpus.ts';
import { type FittedLinear, fit, kFoldAssignment, type TrainConfig } from './fit.ts';
import { type Thresholds, tuneThresholds, uniformThresholds } from './thresholds.ts';

/**
 * One linear expert per kind of text (see layers/model/router.ts), each trained on the samples that suit it with its
 * own vocabulary, features and C, then calibrated per label with Platt scaling on out-of-fold logits.
 *
 * Cross-validation works on *samples*: every labelled row, plus snippets derived from it (its title alone, the first
 * sentence of its abstract alone). A row and its snippets always share a fold, so no expert is scored on a title
 * whose abstract it was trained on. Every held-out sample is routed by the plan's router and scored by an `Expert`
 * built from the fold's fit: the very code that serves the shipped model (layers/model/).
 */

export type SnippetSource = 'title' | 'firstSentence';
/** `background`: non-medical text without labels (layers/training/background.ts), so no evidence means no label. */
export type SampleSource = 'row' | SnippetSource | 'background';

export interface ExpertSpec {
  /** The kinds this expert answers for (one kind each in the shipped model; all three for a single-model baseline). */
  kinds: readonly TextKind[];
  config: TrainConfig;
  /**
   * Training (and calibration) samples: rows of these kinds, snippets derived from rows of these kinds, and (with
   * `background`) every background text, glosses and paragraphs alike.
   */
  trainOn: {
    rows: readonly TextKind[];
    snippets?: { from: readonly TextKind[]; sources: readonly SnippetSource[] };
    background?: boolean;
  };
  /** Fit Platt scaling per label (otherwise the raw sigmoid is the probability). */
  calibrate: boolean;
}

export interface ExpertPlan {
  experts: readonly ExpertSpec[];
  /** The router's settings; the shipped model carries them in model.json. */
  router: RouterSettings;
  /** Non-medical background texts to learn "no evidence, no label" from (layers/training/background.ts). */
  background?: BackgroundOptions;
  /** Which expert answers texts without medical evidence (layers/model/scope.ts); the model carries it. */
  scope?: ScopeRule;
}

export interface LabelledRows {
  titles: readonly string[];
  abstracts: readonly string[];
  /** The model input of each row: `title + " " + abstract`. */
  texts: readonly string[];
  truth: readonly number[][];
}

/** What the trainer learns from: the labelled rows, and non-medical background texts (no labels). */
export interface TrainingData extends LabelledRows {
  background: readonly string[];
}

/** Truth per sample row: the labelled rows', then none for every background text. */
export const truthOfRows = (data: TrainingData): number[][] => [
  ...data.truth.map((t) => [...t]),
  ...data.background.map(() => []),
];

export interface Sample {
  text: string;
  row: number;
  source: SampleSource;
  /** The kind of the row it comes from (the population). */
  rowKind: TextKind;
  /** The kind the router gives this sample's own text. */
  kind: TextKind;
}

/** The first sentence of an abstract: up to the first . ! or ? followed by white space and a capital, or the end. */
export function firstSentence(abstract: string): string {
  const match = /^[\s\S]*?[.!?](?=\s+[A-Z([]|\s*$)/.exec(abstract.trim());
  return (match ? match[0] : abstract).trim();
}

export function buildSamples(data: TrainingData, settings: RouterSettings): Sample[] {
  const router = new Router(settings);
  const samples: Sample[] = [];
  const rowKinds = data.texts.map((t) => router.kindOf(t));
  data.texts.forEach((text, row) => {
    samples.push({ text, row, source: 'row', rowKind: rowKinds[row]!, kind: rowKinds[row]! });
  });
  for (const [source, pick] of [
    ['title', (r: number) => data.titles[r]!.trim()],
    ['firstSentence', (r: number) => firstSentence(data.abstracts[r]!)],
  ] as const) {
    data.texts.forEach((_, row) => {
      const text = pick(row);
      if (text !== '') samples.push({ text, row, source, rowKind: rowKinds[row]!, kind: router.kindOf(text) });
    });
  }
  data.background.forEach((text, j) => {
    const kind = router.kindOf(text);
    samples.push({ text, row: data.texts.length + j, source: 'background', rowKind: kind, kind });
  });
  return samples;
}

/** Whether a sample trains (and calibrates) an expert. */
export function trainsOn(spec: ExpertSpec, s: Sample): boolean {
  if (s.source === 'row') return spec.trainOn.rows.includes(s.rowKind);
  if (s.source === 'background') return spec.trainOn.background === true;
  const snippets = spec.trainOn.snippets;
  return !!snippets?.from.includes(s.rowKind) && snippets.sources.includes(s.source);
}

/** The weights of a fit as the estimator holds them: the n-gram features', then the lexicon block's (if any). */
export function estimatorOf(fitted: FittedLinear): {
  weights: Float64Array;
  bias: Float64Array;
  dense: Float64Array | undefined;
} {
  const n = fitted.vocab.buckets.length * LABELS.length;
  const { weights, bias } = fitted.model;
  // One shape whether or not there is a lexicon block (`dense` undefined without one), as serving's estimators have.
  return { weights: weights.subarray(0, n), bias, dense: weights.length > n ? weights.subarray(n) : undefined };
}

/**
 * A fitted expert as serving runs it (in double precision, and `calibration` or none: the cross-validation fits
 * calibration on what this gives).
 */
export function servingExpert(
  spec: ExpertSpec,
  fitted: FittedLinear,
  lexicon?: Lexicon,
  calibration?: Platt[],
): Expert {
  const settings = spec.config.features;
  const idf = settings.weighting === 'binary' ? undefined : fitted.vocab.idf;
  const platt = calibration ?? LABELS.map(() => IDENTITY_PLATT);
  return new Expert(spec.kinds, new Vectorizer(settings, fitted.vocab.index, idf, lexicon), estimatorOf(fitted), {
    a: platt.map((p) => p.a),
    b: platt.map((p) => p.b),
  });
}

/** Experts (in plan order) as the scope rule sees them: the expert of each kind, and the plan's rule. */
export function answererOf(plan: ExpertPlan, experts: readonly Expert[]): Answerer {
  const byKind = (kind: TextKind) => experts[plan.experts.findIndex((e) => e.kinds.includes(kind))]!;
  return { expertOf: byKind, ...(plan.scope ? { scope: plan.scope } : {}) };
}

/** Featurises every sample once per distinct feature configuration. */
export class SampleFeatures {
  private readonly cache = new Map<string, DocCounts[]>();
  constructor(
    private readonly samples: readonly Sample[],
    readonly lexicon?: Lexicon,
  ) {}
  docs(features: VectorizerSettings): DocCounts[] {
    const key = JSON.stringify(features);
    let docs = this.cache.get(key);
    if (!docs) {
      docs = featurizeCorpus(
        this.samples.map((s) => s.text),
        features,
        this.lexicon,
      );
      this.cache.set(key, docs);
    }
    return docs;
  }
}

/** Compact figures for one group of samples (what model.json and the selection table keep). */
export interface GroupFigures {
  n: number;
  weighted_f1: number;
  micro_f1: number;
  macro_f1: number;
  samples_f1: number;
  subset_accuracy: number;
}

const figures = (m: Metrics): GroupFigures => ({
  n: m.n_rows,
  weighted_f1: m.weighted.f1,
  micro_f1: m.micro.f1,
  macro_f1: m.macro.f1,
  samples_f1: m.samples.f1,
  subset_accuracy: m.subset_accuracy,
});

/** The groups every figure is broken down by: the rows by kind, and snippets derived from real rows. */
export const GROUPS = ['all', 'real', 'template', 'titles', 'first_sentences', 'snippet'] as const;
export type GroupName = (typeof GROUPS)[number];

export function groupOf(s: Sample): GroupName[] {
  if (s.source === 'background') return [];
  if (s.source === 'row') return s.rowKind === 'snippet' ? ['all', 'snippet'] : ['all', s.rowKind];
  const groups: GroupName[] = [];
  if (s.rowKind === 'real') groups.push(s.source === 'title' ? 'titles' : 'first_sentences');
  if (s.kind === 'snippet') groups.push('snippet');
  return groups;
}

/** How the background (non-medical) samples fared: they have no label, so the question is how sure the model was. */
export interface BackgroundFigures {
  n: number;
  /** Share given some label with probability ≥ 0.5 (only the fallback rule should give them one). */
  labelled_share: number;
  /** Share whose most probable label has probability ≥ 0.9. */
  confident_share: number;
  max_proba_mean: number;
}

export interface KindsCrossValidation {
  folds: number;
  seed: number;
  /** Calibrated (cross-fitted Platt), threshold 0.5: the shipped decision rule. */
  calibrated_at_0_5: Partial<Record<GroupName, GroupFigures>>;
  /** Calibrated, then thresholds tuned on the other folds' rows (cross-fitted): is tuning worth it? */
  calibrated_tuned: Partial<Record<GroupName, GroupFigures>>;
  /** Raw sigmoid of each expert, threshold 0.5. */
  raw_at_0_5: Partial<Record<GroupName, GroupFigures>>;
  /** Expected calibration error (10 bins, every row × label pooled), before and after Platt scaling. */
  ece: { before: Partial<Record<GroupName, number>>; after: Partial<Record<GroupName, number>> };
  /** Present when the samples include background texts. */
  background?: BackgroundFigures;
}

export interface ExpertsCvRun {
  cv: KindsCrossValidation;
  /** Thresholds tuned on every row's calibrated out-of-fold probabilities (used only if tuning beats 0.5). */
  tunedThresholds: Thresholds;
  /** Platt parameters per expert and label, fitted on all out-of-fold logits of the expert's own samples. */
  calibration: Platt[][];
  foldIterations: number[][];
  /** Per sample (`samples × LABELS.length`): out-of-fold calibrated probabilities (0 for samples not evaluated). */
  proba: Float64Array;
  /** Per sample: whether it was held out and scored. */
  evaluated: boolean[];
  /** Per sample (`samples × LABELS.length`): lexicon matches, when the features have a lexicon. */
  matches?: Float64Array;
}

export type ExpertsProgress = (expert: number, fold: number, folds: number) => void;

export interface CrossValidationOptions {
  /** A fold per sample row (labelled rows, then background) instead of shuffled K folds (e.g. the vocabulary shift). */
  foldOfRow?: Int32Array;
  /** Only these folds are held out and scored (default: every fold). */
  evaluateFolds?: readonly number[];
  /** Apply this calibration instead of cross-fitting one (when too few folds are scored to fit it). */
  calibration?: Platt[][];
  onProgress?: ExpertsProgress;
}

/** Shuffled folds of the labelled rows, and of the background texts on their own (so adding background leaves the
 * labelled rows' folds as they were). */
export function sampleFolds(samples: readonly Sample[], folds: number, seed: number): Int32Array {
  let labelled = 0;
  let rows = 0;
  for (const s of samples) {
    rows = Math.max(rows, s.row + 1);
    if (s.source !== 'background') labelled = Math.max(labelled, s.row + 1);
  }
  const out = new Int32Array(rows);
  out.set(kFoldAssignment(labelled, folds, seed));
  out.set(kFoldAssignment(rows - labelled, folds, seed + 7919), labelled);
  return out;
}

/**
 * K-fold cross-validation of a plan on the derived samples (the one evaluation loop: selection, training and the
 * vocabulary-shift simulation all run through it). Returns the figures by group and the calibration fitted on all
 * out-of-fold logits (what the final model ships).
 */
export function crossValidateExperts(
  samples: readonly Sample[],
  features: SampleFeatures,
  truthOfRow: readonly number[][],
  plan: ExpertPlan,
  folds: number,
  seed: number,
  options: CrossValidationOptions = {},
): ExpertsCvRun {
  const L = LABELS.length;
  const foldOfRow = options.foldOfRow ?? sampleFolds(samples, folds, seed);
  const evaluateFolds = options.evaluateFolds ?? Array.from({ length: folds }, (_, f) => f);
  const foldOf = samples.map((s) => foldOfRow[s.row]!);
  const evaluated = foldOf.map((f) => evaluateFolds.includes(f));
  const truth = samples.map((s) => truthOfRow[s.row]!);
  const expertOf = samples.map((s) => plan.experts.findIndex((e) => e.kinds.includes(s.kind)));
  if (expertOf.some((e) => e < 0)) throw new RangeError('the plan has no expert for some kind');
  const logits = new Float64Array(samples.length * L);
  const matches = features.lexicon ? new Float64Array(samples.length * L) : undefined;
  const foldIterations: number[][] = plan.experts.map(() => []);

  // Each fold: every expert fitted on the other folds, then the held-out samples answered the way the shipped model
  // answers them (the router's kind, and the scope rule: layers/model/scope.ts), so the figures are the rule's.
  const answeredBy = expertOf.slice();
  const answeredKinds: TextKind[] = new Array(samples.length);
  const texts = samples.map((s) => s.text);
  const kinds = samples.map((s) => s.kind);
  for (const f of evaluateFolds) {
    const experts = plan.experts.map((spec, e) => {
      options.onProgress?.(e, f, folds);
      const train = samples.flatMap((s, i) => (foldOf[i] !== f && trainsOn(spec, s) ? [i] : []));
      const fitted = fit(features.docs(spec.config.features), truth, train, spec.config);
      foldIterations[e]!.push(fitted.model.iterations);
      return servingExpert(spec, fitted, features.lexicon);
    });
    const model = answererOf(plan, experts);
    const held = samples.flatMap((_, i) => (foldOf[i] === f ? [i] : []));
    answerAll(model, texts, kinds, held, logits, matches, answeredKinds);
    for (const i of held) answeredBy[i] = plan.experts.findIndex((e) => e.kinds.includes(answeredKinds[i]!));
  }

  // Platt per expert and label: cross-fitted for the figures (fold f scaled by parameters fitted on the other folds'
  // out-of-fold logits), and on everything for the model.
  const calibratedOn = samples.map((s, i) => evaluated[i]! && trainsOn(plan.experts[answeredBy[i]!]!, s));
  const fitOn = (e: number, l: number, keep: (i: number) => boolean): Platt => {
    if (!plan.experts[e]!.calibrate) return { ...IDENTITY_PLATT };
    const z: number[] = [];
    const y: boolean[] = [];
    for (let i = 0; i < samples.length; i++) {
      if (answeredBy[i] !== e || !calibratedOn[i] || !keep(i)) continue;
      z.push(logits[i * L + l]!);
      y.push(truth[i]!.includes(l));
    }
    return fitPlatt(z, y);
  };
  const calibration = options.calibration ?? plan.experts.map((_, e) => LABELS.map((_l, l) => fitOn(e, l, () => true)));
  const raw = new Float64Array(samples.length * L);
  const calibrated = new Float64Array(samples.length * L);
  for (let i = 0; i < samples.length * L; i++) raw[i] = sigmoid(logits[i]!);
  for (const f of evaluateFolds) {
    const params =
      options.calibration ?? plan.experts.map((_, e) => LABELS.map((_l, l) => fitOn(e, l, (i) => foldOf[i] !== f)));
    for (let i = 0; i < samples.length; i++) {
      if (foldOf[i] !== f) continue;
      for (let l = 0; l < L; l++) {
        const p = params[answeredBy[i]!]![l]!;
        calibrated[i * L + l] = sigmoid(p.a * logits[i * L + l]! + p.b);
      }
    }
  }

  const groups = samples.map((s, i) => (evaluated[i] ? groupOf(s) : []));
  const inGroup = (g: GroupName) => samples.map((_, i) => i).filter((i) => groups[i]!.includes(g));
  const score = (proba: Float64Array, thresholdsOf: (i: number) => Thresholds) => {
    const out: Partial<Record<GroupName, GroupFigures>> = {};
    for (const g of GROUPS) {
      const ids = inGroup(g);
      if (ids.length === 0) continue;
      const acc = new MetricsAccumulator();
      for (const i of ids) acc.add(truth[i]!, decide(proba.subarray(i * L, i * L + L), thresholdsOf(i)));
      out[g] = figures(acc.result());
    }
    return out;
  };
  const half = uniformThresholds(0.5);
  // Tuned thresholds are global per label (that is all model.json can hold), tuned on the labelled rows only.
  const rowIds = samples.map((s, i) => (s.source === 'row' && evaluated[i] ? i : -1)).filter((i) => i >= 0);
  const tunedByFold = new Map(
    evaluateFolds.map((f) => [
      f,
      tuneThresholds(
        calibrated,
        truth,
        rowIds.filter((i) => foldOf[i] !== f),
      ),
    ]),
  );
  const ece = (proba: Float64Array) => {
    const out: Partial<Record<GroupName, number>> = {};
    for (const g of GROUPS) {
      const ids = inGroup(g);
      if (ids.length === 0) continue;
      const p: number[] = [];
      const y: boolean[] = [];
      for (const i of ids) {
        for (let l = 0; l < L; l++) {
          p.push(proba[i * L + l]!);
          y.push(truth[i]!.includes(l));
        }
      }
      out[g] = expectedCalibrationError(p, y, 10);
    }
    return out;
  };
  const background = samples.map((s, i) => (s.source === 'background' && evaluated[i] ? i : -1)).filter((i) => i >= 0);
  const maxOf = (i: number) => Math.max(...calibrated.subarray(i * L, i * L + L));
  return {
    calibration,
    tunedThresholds: tuneThresholds(calibrated, truth, rowIds),
    foldIterations,
    proba: calibrated,
    evaluated,
    ...(matches ? { matches } : {}),
    cv: {
      folds,
      seed,
      calibrated_at_0_5: score(calibrated, () => half),
      calibrated_tuned: score(calibrated, (i) => tunedByFold.get(foldOf[i]!)!),
      raw_at_0_5: score(raw, () => half),
      ece: { before: ece(raw), after: ece(calibrated) },
      ...(background.length > 0
        ? {
            background: {
              n: background.length,
              labelled_share: background.filter((i) => maxOf(i) >= 0.5).length / background.length,
              confident_share: background.filter((i) => maxOf(i) >= 0.9).length / background.length,
              max_proba_mean: background.reduce((sum, i) => sum + maxOf(i), 0) / background.length,
            },
          }
        : {}),
    },
  };
}

export interface TrainedExpert {
  spec: ExpertSpec;
  fitted: FittedLinear;
  calibration: Platt[];
}

/** Fits every expert of the plan on all its samples. */
export function fitExperts(
  samples: readonly Sample[],
  features: SampleFeatures,
  truthOfRow: readonly number[][],
  plan: ExpertPlan,
  calibration: Platt[][],
): TrainedExpert[] {
  const truth = samples.map((s) => truthOfRow[s.row]!);
  return plan.experts.map((spec, e) => {
    const ids = samples.map((s, i) => (trainsOn(spec, s) ? i : -1)).filter((i) => i >= 0);
    return {
      spec,
      fitted: fit(features.docs(spec.config.features), truth, ids, spec.config),
      calibration: calibration[e]!,
    };
  });
}

/** Thresholds the shipped model uses: 0.5 (calibrated) unless cross-fitted tuning beats it by more than `noise`. */
export function chooseThresholds(
  runs: readonly KindsCrossValidation[],
  tuned: Thresholds,
  noise = 0.003,
): { thresholds: Thresholds; tuned: boolean } {
  const mean = (pick: (cv: KindsCrossValidation) => number) => runs.reduce((s, cv) => s + pick(cv), 0) / runs.length;
  const gain = mean((cv) => cv.calibrated_tuned.all!.weighted_f1) - mean((cv) => cv.calibrated_at_0_5.all!.weighted_f1);
  return gain > noise ? { thresholds: tuned, tuned: true } : { thresholds: uniformThresholds(0.5), tuned: false };
}
