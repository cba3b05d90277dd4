import type { Logger } from '@aws-lambda-powertools/logger';
import type { Classifier } from '#core/classifier.ts';
import type { ClassifierError } from '#core/errors.ts';
import type { EvidenceOptions, TextSink } from '#core/pipeline/evaluateCsv.ts';
import { errorDocument, RESULT_FILES } from '#core/pipeline/results.ts';
import type { ObjectStore } from '../s3/objectStore.ts';

/**
 * Writing result objects, shared by the inline, chunk and aggregate paths: their content types, the streamed
 * predictions upload, the small summary objects and error.json. Nothing here decides what to evaluate.
 */

export const CONTENT_TYPES: Record<string, string> = {
  [RESULT_FILES.predictions]: 'text/csv; charset=utf-8',
  [RESULT_FILES.metrics]: 'application/json',
  [RESULT_FILES.reportText]: 'text/plain; charset=utf-8',
  [RESULT_FILES.reportHtml]: 'text/html; charset=utf-8',
  [RESULT_FILES.error]: 'application/json',
};

/**
 * Streams one object through `write`: completed when `write` resolves, aborted (no partial object left) when it or
 * the completion fails. The one place the upload's try/abort/done lives.
 */
export async function withUpload<T>(
  store: ObjectStore,
  bucket: string,
  key: string,
  write: (sink: TextSink) => Promise<T>,
): Promise<T> {
  const upload = store.upload(bucket, key, CONTENT_TYPES[RESULT_FILES.predictions]!);
  try {
    const result = await write(upload.sink);
    await upload.done();
    return result;
  } catch (error) {
    await upload.abort();
    throw error;
  }
}

/**
 * The evidence options a model can honour. A backend that cannot explain gets no `evidence` column (a warning in
 * the log; the report says its rows are not explained) rather than failing every upload.
 */
export function evidenceFor(
  classifier: Classifier,
  evidence: EvidenceOptions | undefined,
  logger: Logger,
): { evidence?: EvidenceOptions } {
  if (!evidence) return {};
  if (evidence.column && !classifier.canExplain) {
    logger.warn('EVIDENCE_COLUMN is on but the model cannot explain; predictions.csv gets no evidence column', {
      backend: classifier.manifest.backend,
    });
    return { evidence: { ...evidence, column: false } };
  }
  return { evidence };
}

/** Writes the small result objects, then removes what a previous run left that this run does not produce. */
export async function writeSummary(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  files: Map<string, string>,
  stale: readonly string[],
): Promise<void> {
  for (const [name, body] of files) await store.putText(bucket, `${prefix}${name}`, body, CONTENT_TYPES[name]!);
  const leftovers = [...stale, ...[RESULT_FILES.metrics].filter((f) => !files.has(f))];
  await store.delete(
    bucket,
    leftovers.map((f) => `${prefix}${f}`),
  );
}

/**
 * `error.json`, and no other result object: a rejected file must not leave an earlier run's results behind. An
 * InputError carries its details (lines, columns); another ClassifierError its code and message.
 */
export async function writeError(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  source: string,
  error: ClassifierError,
): Promise<void> {
  await store.putText(
    bucket,
    `${prefix}${RESULT_FILES.error}`,
    errorDocument(source, error),
    CONTENT_TYPES[RESULT_FILES.error]!,
  );
  const others = Object.values(RESULT_FILES).filter((f) => f !== RESULT_FILES.error);
  await store.delete(
    bucket,
    others.map((f) => `${prefix}${f}`),
  );
}
