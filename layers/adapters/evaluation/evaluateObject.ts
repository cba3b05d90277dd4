import type { Logger } from '@aws-lambda-powertools/logger';
import type { Classifier } from '../../core/classifier.ts';
import { InputError } from '../../core/errors.ts';
import { type EvaluationSummary, type EvidenceOptions, evaluateCsv } from '../../core/pipeline/evaluateCsv.ts';
import { errorDocument, RESULT_FILES, summaryFiles } from '../../core/pipeline/results.ts';
import { ObjectNotFound, ObjectReplaced, type ObjectStore } from '../s3/objectStore.ts';
import { type FanoutInput, planEvaluation } from './fanout.ts';
import { isIncomingCsv, resultPrefixFor, sourceNameFor } from './keys.ts';
import { type AnnouncedObject, checkedBody } from './uploadedObject.ts';

export const CONTENT_TYPES: Record<string, string> = {
  [RESULT_FILES.predictions]: 'text/csv; charset=utf-8',
  [RESULT_FILES.metrics]: 'application/json',
  [RESULT_FILES.reportText]: 'text/plain; charset=utf-8',
  [RESULT_FILES.reportHtml]: 'text/html; charset=utf-8',
  [RESULT_FILES.error]: 'application/json',
};

export interface EvaluateDeps {
  store: ObjectStore;
  getClassifier: () => Promise<Classifier>;
  logger: Logger;
  /** Evidence in the results (the config's `evidence`); absent: none. */
  evidence?: EvidenceOptions;
  /** When set, files with more rows than the threshold are handed to the fan-out instead of evaluated inline. */
  fanout?: { rowThreshold: number; rowsPerItem?: number; start(input: FanoutInput): Promise<void> };
}

export type EvaluateOutcome = 'evaluated' | 'rejected' | 'ignored' | 'fanned-out' | 'missing' | 'superseded';

/**
 * Evaluates one uploaded object and writes its results. A file the user must fix gets `error.json` (and no other
 * result object) and does not throw, so it is not retried; S3 or model failures throw, so the platform retries.
 * Running it twice on the same object leaves the same objects. What is read must be the upload the event announced:
 * another ETag is a newer upload (superseded, it has its own event), a size that differs is an incomplete read (thrown).
 */
export async function evaluateObject(
  bucket: string,
  key: string,
  deps: EvaluateDeps,
  version?: string,
  announced: AnnouncedObject = {},
): Promise<EvaluateOutcome> {
  const { store, logger } = deps;
  if (!isIncomingCsv(key)) {
    logger.info('ignored object: not incoming/*.csv', { bucket, key });
    return 'ignored';
  }
  const resultPrefix = resultPrefixFor(key);
  const source = sourceNameFor(key);
  const started = performance.now();
  try {
    let etag = announced.etag;
    if (deps.fanout) {
      const plan = await planEvaluation(
        store,
        { bucket, key, version, ...announced },
        deps.fanout.rowThreshold,
        deps.fanout.rowsPerItem,
      );
      const planned = plan.kind === 'fanout' ? plan.input.etag : plan.etag;
      if (announced.etag !== undefined && planned !== undefined && planned !== announced.etag) {
        logger.info('superseded by a newer upload', { bucket, key });
        return 'superseded';
      }
      if (plan.kind === 'fanout') {
        await deps.fanout.start(plan.input);
        logger.info('fanned out', { bucket, key, rows: plan.input.rows, items: plan.input.items });
        return 'fanned-out';
      }
      etag = plan.etag;
    }
    const classifier = await deps.getClassifier();
    const object = await store.open(bucket, key, undefined, etag);
    if (etag !== undefined && object.etag !== etag) {
      // Replaced since it was counted: the newer upload has an event (and a run) of its own.
      (object.body as { destroy?: () => void }).destroy?.();
      logger.info('superseded by a newer upload', { bucket, key });
      return 'superseded';
    }
    const upload = store.upload(
      bucket,
      `${resultPrefix}${RESULT_FILES.predictions}`,
      CONTENT_TYPES[RESULT_FILES.predictions]!,
    );
    let summary: EvaluationSummary;
    try {
      summary = await evaluateCsv(checkedBody(bucket, key, object, announced), classifier, upload.sink, {
        ...evidenceFor(classifier, deps.evidence, logger),
      });
    } catch (error) {
      await upload.abort();
      throw error;
    }
    await upload.done();
    await writeSummary(store, bucket, resultPrefix, summaryFiles(source, classifier.manifest, summary), [
      RESULT_FILES.error,
    ]);
    logger.info('evaluated', {
      bucket,
      key,
      rows: summary.rows,
      labelled: summary.labelled,
      durationMs: Math.round(performance.now() - started),
    });
    return 'evaluated';
  } catch (error) {
    if (error instanceof ObjectNotFound) {
      logger.warn('object vanished before evaluation', { bucket, key });
      return 'missing';
    }
    if (error instanceof ObjectReplaced) {
      // S3 refused the If-Match read (412): the newer upload has an event (and a run) of its own.
      logger.info('superseded by a newer upload', { bucket, key });
      return 'superseded';
    }
    if (!(error instanceof InputError)) throw error;
    await writeError(store, bucket, resultPrefix, source, error);
    logger.info('rejected file', { bucket, key, code: error.code, problems: error.details.length });
    return 'rejected';
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

/** `error.json`, and no other result object: a rejected file must not leave an earlier run's results behind. */
export async function writeError(
  store: ObjectStore,
  bucket: string,
  prefix: string,
  source: string,
  error: InputError,
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
