import type { TextExplanation } from './explanation.ts';
import type { TextKind } from './kinds.ts';
import type { ModelManifest } from './manifest.ts';

/**
 * What every backend provides. Probabilities come back one row per input text, one column per label
 * in `LABELS` order, in the order the texts were given (backends may reorder internally, e.g. by length).
 */
export interface Model {
  readonly manifest: ModelManifest;
  /** The folder the model was loaded from. */
  readonly dir: string;
  predictProba(texts: readonly string[]): Promise<Float64Array[]>;
  /** The kind the model routes a text to, when it has experts by kind (otherwise the core's `kindOf` decides). */
  kindOf?(text: string): TextKind;
  /**
   * Evidence per text, in input order, for the very scores `predictProba` turns into probabilities. Absent when the
   * backend cannot explain (callers answer `ExplanationUnsupportedError`).
   */
  explain?(texts: readonly string[]): Promise<TextExplanation[]>;
  dispose(): Promise<void>;
}

export interface LoadOptions {
  /** bert-onnx only: override the manifest's precision. */
  precision?: 'fp32' | 'int8';
  /** Texts per backend call; backends pick a sensible default. */
  batchSize?: number;
  /** Intra-op threads for backends that use them (default: available CPUs). */
  threads?: number;
}

/** A backend module: turns a validated manifest and its folder into a ready model. */
export type BackendLoader = (dir: string, manifest: ModelManifest, options: LoadOptions) => Promise<Model>;
