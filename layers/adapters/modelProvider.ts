import { type Classifier, DEFAULT_MODEL_DIR, loadClassifier } from '#core/classifier.ts';
import { type ModelManifest, readManifest } from '#core/manifest.ts';
import { onceUntilFailure } from '#core/once.ts';
import { readFingerprintsFile } from '#core/trainingData.ts';

/**
 * The model is loaded once per container and shared by warm invocations. A failed load is not cached, so the
 * next invocation retries instead of failing forever.
 */
export const memoizedClassifier = (modelDir: string | undefined): (() => Promise<Classifier>) =>
  onceUntilFailure(() => loadClassifier(modelDir));

/** The model's manifest alone, read once: enough for /health without loading weights. */
export const memoizedManifest = (modelDir: string | undefined): (() => Promise<ModelManifest>) =>
  onceUntilFailure(() => readManifest(modelDir ?? DEFAULT_MODEL_DIR));

/** The model folder's training-fingerprints.bin as stored (undefined when the folder has none), read once. */
export const memoizedTrainingFingerprints = (modelDir: string | undefined): (() => Promise<Uint8Array | undefined>) =>
  onceUntilFailure(() => readFingerprintsFile(modelDir ?? DEFAULT_MODEL_DIR));
