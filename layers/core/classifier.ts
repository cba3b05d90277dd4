import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLinearModel } from '#model/linearModel.ts';
import { Router, type TextKind } from '#model/router.ts';
import { type Confidence, confidenceOf } from './confidence.ts';
import { decide } from './decision.ts';
import { ModelLoadError } from './errors.ts';
import { ExplanationUnsupportedError, type TextExplanation } from './explanation.ts';
import { LABELS, type LabelName, SHORT_NAMES, type ShortName } from './labels.ts';
import { confidenceRuleOf, type ModelManifest, readManifest, routerSettingsOf } from './manifest.ts';
import type { Backend, BackendLoader, LoadOptions, Model, ScoreOptions, Scores } from './model.ts';

/** The embedded default model, shipped in the repository and in the container image. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../models/default', import.meta.url));

export interface Prediction {
  /** Probabilities in `LABELS` order. */
  proba: number[];
  /** Indices into `LABELS` of the predicted labels, ascending. */
  labels: number[];
  /** The kind of text (layers/model/router.ts): which expert answered. */
  kind: TextKind;
  /** How far the answer can be trusted (layers/core/confidence.ts). */
  confidence: Confidence;
  /** With `explain`: the evidence for these very probabilities. */
  explanation?: TextExplanation;
}

export interface Classifier {
  readonly model: Model;
  readonly manifest: ModelManifest;
  readonly thresholds: Readonly<Record<LabelName, number>>;
  /** One scoring call per batch: kinds, probabilities, the decision rule, and evidence on request. */
  classify(texts: readonly string[], options?: ScoreOptions): Promise<Prediction[]>;
  /** Whether `classify(texts, { explain: true })` works with this model's backend. */
  readonly canExplain: boolean;
  dispose(): Promise<void>;
}

// The bert backend is imported lazily, so that a linear model never loads onnxruntime. The linear one is imported
// statically: its code is needed by the default model's first request, and one module graph loads faster than two
// (fewer chunks to resolve and compile at a cold start).
const BACKENDS: Record<ModelManifest['backend'], () => Promise<BackendLoader>> = {
  linear: async () => loadLinearModel,
  'bert-onnx': async () => (await import('./backends/bertOnnx.ts')).loadBertOnnxModel,
};

/**
 * A model from its manifest and backend: the one place texts are routed. `score` asks the router once per text
 * (unless the caller hands the kinds it already has) and gives the backend texts with their kinds.
 */
export function modelOf(manifest: ModelManifest, dir: string, backend: Backend): Model {
  const router = new Router(routerSettingsOf(manifest));
  return {
    manifest,
    dir,
    router,
    canExplain: backend.canExplain,
    ...(backend.rowsPerCall ? { rowsPerCall: backend.rowsPerCall } : {}),
    async score(texts, options = {}) {
      if (options.explain && !backend.canExplain) throw new ExplanationUnsupportedError(manifest.backend);
      if (options.kinds && options.kinds.length !== texts.length)
        throw new RangeError(`${options.kinds.length} kinds for ${texts.length} texts`);
      const kinds = options.kinds ? [...options.kinds] : texts.map((t) => router.kindOf(t));
      const { logits, proba, explanations, matches } = await backend.score(texts, kinds, options.explain === true);
      // Built field by field in a fixed order (a spread of the backend's answer copied it through a slow path per call).
      const scores: Scores = { kinds, logits, proba };
      if (explanations) scores.explanations = explanations;
      if (matches) scores.matches = matches;
      return scores;
    },
    dispose: () => backend.dispose(),
  };
}

export async function loadModel(dir: string = DEFAULT_MODEL_DIR, options: LoadOptions = {}): Promise<Model> {
  const absolute = resolve(dir);
  const manifest = await readManifest(absolute);
  const backend = BACKENDS[manifest.backend];
  if (!backend)
    throw new ModelLoadError(`unknown backend ${JSON.stringify(manifest.backend)} in ${absolute}/model.json`);
  return modelOf(manifest, absolute, await (await backend())(absolute, manifest, options));
}

export function classifierFor(model: Model): Classifier {
  const thresholds = model.manifest.thresholds;
  const rule = confidenceRuleOf(model.manifest);
  const L = LABELS.length;
  return {
    model,
    manifest: model.manifest,
    thresholds,
    async classify(texts, options) {
      const scores = await model.score(texts, options);
      const { kinds, matches, explanations } = scores;
      // Plain arrays copied out of the batch's rows (a typed-array view per text cost more than the copy).
      const rowOf = (values: Float64Array, i: number): number[] => {
        const row = new Array<number>(L);
        for (let l = 0; l < L; l++) row[l] = values[i * L + l]!;
        return row;
      };
      return texts.map((_, i) => {
        const proba = rowOf(scores.proba, i);
        const kind = kinds[i]!;
        const confidence = confidenceOf(
          matches ? { proba, kind, matches: rowOf(matches, i) } : { proba, kind },
          thresholds,
          rule,
        );
        const prediction: Prediction = { proba, labels: decide(proba, thresholds), kind, confidence };
        if (explanations) prediction.explanation = explanations[i]!;
        return prediction;
      });
    },
    canExplain: model.canExplain,
    dispose: () => model.dispose(),
  };
}

/** The one place that turns a model folder into a ready classifier. */
export async function loadClassifier(dir?: string, options?: LoadOptions): Promise<Classifier> {
  return classifierFor(await loadModel(dir, options));
}

/** The API's view of one prediction: short-name probabilities and both label forms. */
export function toShortProba(proba: readonly number[]): Record<ShortName, number> {
  return Object.fromEntries(SHORT_NAMES.map((s, i) => [s, proba[i]!])) as Record<ShortName, number>;
}
export const labelNames = (indices: readonly number[]): LabelName[] => indices.map((i) => LABELS[i]!);
export const shortNames = (indices: readonly number[]): ShortName[] => indices.map((i) => SHORT_NAMES[i]!);
