import type { Router, TextKind } from '#model/router.ts';
import type { TextExplanation } from './explanation.ts';
import type { ModelManifest } from './manifest.ts';

/**
 * A loaded model: one scoring call per batch of texts gives each text's kind (decided once, by the model's router),
 * logits, probabilities and, on request, evidence. Backends only score texts whose kinds are already decided.
 */

export interface ScoreOptions {
  /** Also give each text's evidence (`logit = bias + Σ word contributions`); backends that cannot explain refuse. */
  explain?: boolean;
  /**
   * The texts' kinds when they were decided before (a second look at rows already classified, e.g. the report's
   * misclassified rows): the router is then not asked again.
   */
  kinds?: readonly TextKind[];
}

export interface Scores {
  /** Per text: the kind the router gave it (which expert answered). */
  kinds: TextKind[];
  /** `texts × LABELS.length`, row-major: the logits whose sigmoid is `proba` (after calibration, when calibrated). */
  logits: Float64Array;
  /** `texts × LABELS.length`, row-major. */
  proba: Float64Array;
  /** With `explain`: per text, evidence for exactly these logits. */
  explanations?: TextExplanation[];
  /**
   * `texts × LABELS.length`: the medical lexicon's term matches per label, for models with a lexicon (the evidence the
   * confidence rule looks at beside the probabilities).
   */
  matches?: Float64Array;
}

export interface Model {
  readonly manifest: ModelManifest;
  /** The folder the model was loaded from. */
  readonly dir: string;
  readonly router: Router;
  /** Whether `score(..., { explain: true })` works with this backend. */
  readonly canExplain: boolean;
  /** The backend's `rowsPerCall`. */
  readonly rowsPerCall?: number;
  score(texts: readonly string[], options?: ScoreOptions): Promise<Scores>;
  dispose(): Promise<void>;
}

/** What a backend module provides: scores for texts routed already, in input order. */
export interface Backend {
  readonly canExplain: boolean;
  /**
   * How many texts a call should carry when the caller has many (a CSV file): enough for throughput, few enough that
   * progress shows often. Absent: the caller's default.
   */
  readonly rowsPerCall?: number;
  score(texts: readonly string[], kinds: readonly TextKind[], explain: boolean): Promise<Omit<Scores, 'kinds'>>;
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

/** A backend module: turns a validated manifest and its folder into a ready backend. */
export type BackendLoader = (dir: string, manifest: ModelManifest, options: LoadOptions) => Promise<Backend>;
