import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decide } from './decision.ts';
import { ModelLoadError } from './errors.ts';
import { ExplanationUnsupportedError, type TextExplanation } from './explanation.ts';
import { kindOf, type TextKind } from './kinds.ts';
import { LABELS, type LabelName, SHORT_NAMES, type ShortName } from './labels.ts';
import { type ModelManifest, readManifest } from './manifest.ts';
import type { BackendLoader, LoadOptions, Model } from './model.ts';

/** The embedded default model, shipped in the repository and in the container image. */
export const DEFAULT_MODEL_DIR = fileURLToPath(new URL('../models/default', import.meta.url));

export interface Prediction {
  /** Probabilities in `LABELS` order. */
  proba: number[];
  /** Indices into `LABELS` of the predicted labels, ascending. */
  labels: number[];
  /** The kind of text (layers/core/kinds.ts): which expert answered, for models that have experts by kind. */
  kind: TextKind;
}

export interface Classifier {
  readonly model: Model;
  readonly manifest: ModelManifest;
  readonly thresholds: Readonly<Record<LabelName, number>>;
  classify(texts: readonly string[]): Promise<Prediction[]>;
  /** Whether `explain` works with this model's backend. */
  readonly canExplain: boolean;
  /** Evidence for `classify`'s probabilities, per text; throws `ExplanationUnsupportedError` when `!canExplain`. */
  explain(texts: readonly string[]): Promise<TextExplanation[]>;
  dispose(): Promise<void>;
}

// Backends are imported lazily so that a linear model never loads onnxruntime.
const BACKENDS: Record<ModelManifest['backend'], () => Promise<BackendLoader>> = {
  linear: async () => (await import('./backends/linear.ts')).loadLinearModel,
  'bert-onnx': async () => (await import('./backends/bertOnnx.ts')).loadBertOnnxModel,
};

export async function loadModel(dir: string = DEFAULT_MODEL_DIR, options: LoadOptions = {}): Promise<Model> {
  const absolute = resolve(dir);
  const manifest = await readManifest(absolute);
  const backend = BACKENDS[manifest.backend];
  if (!backend)
    throw new ModelLoadError(`unknown backend ${JSON.stringify(manifest.backend)} in ${absolute}/model.json`);
  return (await backend())(absolute, manifest, options);
}

export function classifierFor(model: Model): Classifier {
  const thresholds = model.manifest.thresholds;
  return {
    model,
    manifest: model.manifest,
    thresholds,
    async classify(texts) {
      const probas = await model.predictProba(texts);
      const kind = model.kindOf ? (t: string) => model.kindOf!(t) : (t: string) => kindOf(t);
      return probas.map((p, i) => ({ proba: Array.from(p), labels: decide(p, thresholds), kind: kind(texts[i]!) }));
    },
    canExplain: model.explain !== undefined,
    async explain(texts) {
      if (!model.explain) throw new ExplanationUnsupportedError(model.manifest.backend);
      return model.explain(texts);
    },
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
