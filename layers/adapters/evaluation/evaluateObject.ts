import type { Logger } from '@aws-lambda-powertools/logger';
import type { Classifier } from '#core/classifier.ts';
import type { FormulaCells } from '#core/csv/predictionsCsv.ts';
import { InputError } from '#core/errors.ts';
import { inSampleCheck, OverlapCounter } from '#core/inSample.ts';
import { type EvidenceOptions, evaluateCsv } from '#core/pipeline/evaluateCsv.ts';
import { RESULT_FILES, summaryFiles } from '#core/pipeline/results.ts';
import { trainingDataOf } from '#core/trainingData.ts';
import { ObjectNotFound, ObjectReplaced, type ObjectStore } from '../s3/objectStore.ts';
import type { FanoutInput } from './fanoutContracts.ts';
import { planEvaluation } from './fanoutPlan.ts';
import { isIncomingCsv, resultPrefixFor, sourceNameFor } from './keys.ts';
import { evidenceFor, withUpload, writeError, writeSummary } from './resultObjects.ts';
import { type AnnouncedObject, checkedBody } from './uploadedObject.ts';

export interface EvaluateDeps {
  store: ObjectStore;
  getClassifier: () => Promise<Classifier>;
  logger: Logger;
  /** Evidence in the results (the config's `evidence`); absent: none. */
  evidence?: EvidenceOptions;
  /** Formula-like input cells in predictions.csv (the config's `formulas`); absent: neutralised. */
  formulas?: FormulaCells;
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
    // In-sample check by the rows' fingerprints only: the fan-out (which must write the same reports) never sees the
    // whole object, so neither path compares the file's SHA-256.
    const overlap = new OverlapCounter((await trainingDataOf(classifier.model)).fingerprints);
    const summary = await withUpload(store, bucket, `${resultPrefix}${RESULT_FILES.predictions}`, (sink) =>
      evaluateCsv(checkedBody(bucket, key, object, announced), classifier, sink, {
        ...evidenceFor(classifier, deps.evidence, logger),
        overlap,
        ...(deps.formulas ? { formulas: deps.formulas } : {}),
      }),
    );
    const inSample = inSampleCheck({}, overlap.counts());
    await writeSummary(
      store,
      bucket,
      resultPrefix,
      summaryFiles(source, classifier.manifest, { ...summary, inSample }),
      [RESULT_FILES.error],
    );
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
