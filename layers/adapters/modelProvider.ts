import { type Classifier, DEFAULT_MODEL_DIR, loadClassifier } from '#core/classifier.ts';
import { type ModelManifest, readManifest } from '#core/manifest.ts';
import { readFingerprintsFile } from '#core/trainingData.ts';

/**
 * The model is loaded once per container and shared by warm invocations. A failed load is not cached, so the
 * next invocation retries instead of failing forever.
 */
export function memoizedClassifier(modelDir: string | undefined): () => Promise<Classifier> {
  let pending: Promise<Classifier> | undefined;
  return () => {
    pending ??= loadClassifier(modelDir).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** The model's manifest alone, read once: enough for /health without loading weights. */
export function memoizedManifest(modelDir: string | undefined): () => Promise<ModelManifest> {
  let pending: Promise<ModelManifest> | undefined;
  return () => {
    pending ??= readManifest(modelDir ?? DEFAULT_MODEL_DIR).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** The model folder's training-fingerprints.bin as stored (undefined when the folder has none), read once. */
export function memoizedTrainingFingerprints(modelDir: string | undefined): () => Promise<Uint8Array | undefined> {
  let pending: Promise<Uint8Array | undefined> | undefined;
  return () => {
    pending ??= readFingerprintsFile(modelDir ?? DEFAULT_MODEL_DIR).catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
