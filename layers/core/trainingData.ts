import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelLoadError } from './errors.ts';
import { FINGERPRINTS_FILE, type TrainingData, TrainingFingerprints } from './inSample.ts';

/**
 * What a model folder says about its training data, for the in-sample check (inSample.ts): the training file's
 * SHA-256 from `model.json` → `provenance.data.sha256`, and the training rows' fingerprints when the folder has
 * `training-fingerprints.bin`. Both optional: an older folder without the file gets the SHA-256 check only, a
 * folder without provenance (an exported BERT model) gets no check. A fingerprints file that is there but
 * unreadable fails loudly, like any other broken model file.
 */
export async function readTrainingData(
  modelDir: string,
  manifest: { provenance?: Record<string, unknown> | undefined },
): Promise<TrainingData> {
  const sha256 = trainingSha256(manifest);
  const fingerprints = await readFingerprints(modelDir);
  return { ...(sha256 ? { sha256 } : {}), ...(fingerprints ? { fingerprints } : {}) };
}

/** The training file's SHA-256 as `model.json` → `provenance.data.sha256` records it, when it records a valid one. */
export function trainingSha256(manifest: { provenance?: Record<string, unknown> | undefined }): string | undefined {
  const data = manifest.provenance?.data as { sha256?: unknown } | undefined;
  return typeof data?.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(data.sha256) ? data.sha256 : undefined;
}

/** The raw file (served to the page as it is), or undefined when the folder has none. */
export async function readFingerprintsFile(modelDir: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(join(modelDir, FINGERPRINTS_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelLoadError(`cannot read ${join(modelDir, FINGERPRINTS_FILE)}`, { cause: error });
  }
}

async function readFingerprints(modelDir: string): Promise<TrainingFingerprints | undefined> {
  const bytes = await readFingerprintsFile(modelDir);
  if (!bytes) return undefined;
  try {
    return new TrainingFingerprints(bytes);
  } catch (cause) {
    throw new ModelLoadError(`${join(modelDir, FINGERPRINTS_FILE)} is damaged: ${(cause as Error).message}`, {
      cause,
    });
  }
}

const byModel = new WeakMap<object, Promise<TrainingData>>();

/**
 * The training data of a loaded model (its folder and manifest), read once per model object: the S3 functions
 * check every file they evaluate against the model they serve. A failed read is not kept, so the next file retries.
 */
export function trainingDataOf(model: {
  readonly dir: string;
  readonly manifest: { provenance?: Record<string, unknown> | undefined };
}): Promise<TrainingData> {
  let pending = byModel.get(model);
  if (!pending) {
    pending = readTrainingData(model.dir, model.manifest);
    byModel.set(model, pending);
    pending.catch(() => byModel.delete(model));
  }
  return pending;
}
