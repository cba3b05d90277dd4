import type { Logger } from '@aws-lambda-powertools/logger';
import type { Classifier } from '#core/classifier.ts';
import { type CsvHeader, headerFrom } from '#core/csv/csvReader.ts';
import type { FormulaCells } from '#core/csv/predictionsCsv.ts';
import { InputError, InvalidRowsError } from '#core/errors.ts';
import { OverlapCounter } from '#core/inSample.ts';
import { LABELS } from '#core/labels.ts';
import { type EvidenceOptions, evaluateCsv } from '#core/pipeline/evaluateCsv.ts';
import { trainingDataOf } from '#core/trainingData.ts';
import { ObjectReplaced, type ObjectStore } from '../s3/objectStore.ts';
import { type ChunkEvent, mapKinds, ObjectChangedError, type PartState, partName } from './fanoutContracts.ts';
import { evidenceFor, withUpload } from './resultObjects.ts';

/** One chunk invocation: each item's rows predicted and written as a headerless part plus its metrics state. */
export async function processChunk(
  event: ChunkEvent,
  store: ObjectStore,
  classifier: Classifier,
  options: { evidence?: EvidenceOptions; logger?: Logger; formulas?: FormulaCells } = {},
): Promise<{ items: number; rows: number; problems: number }> {
  const { bucket, key, partsPrefix, columns, delimiter, etag } = event.BatchInput;
  const { evidence } = options.logger
    ? evidenceFor(classifier, options.evidence, options.logger)
    : { evidence: options.evidence };
  const header: CsvHeader = headerFrom(columns, delimiter);
  const { fingerprints } = await trainingDataOf(classifier.model);
  let rows = 0;
  let problems = 0;
  for (const item of event.Items) {
    let state: PartState;
    const overlap = new OverlapCounter(fingerprints);
    try {
      const summary = await withUpload(store, bucket, `${partsPrefix}${partName(item.index, 'csv')}`, async (sink) => {
        const object = await store
          .open(bucket, key, { start: item.start, end: item.end - 1 }, etag)
          .catch((error: unknown) => {
            throw error instanceof ObjectReplaced ? new ObjectChangedError(bucket, key, etag, undefined) : error;
          });
        // S3 refuses a changed object (If-Match → 412, above); checking the ETag too keeps S3-compatible servers honest.
        if (object.etag !== etag) throw new ObjectChangedError(bucket, key, etag, object.etag);
        return evaluateCsv(object.body, classifier, sink, {
          header,
          firstLine: item.firstLine,
          firstByte: item.start,
          writeHeader: false,
          ...(evidence ? { evidence } : {}),
          overlap,
          ...(options.formulas ? { formulas: options.formulas } : {}),
        });
      });
      if (summary.rows !== item.rows)
        throw new Error(
          `part ${item.index}: expected ${item.rows} rows, read ${summary.rows} (the object changed since it was planned?)`,
        );
      state = {
        index: item.index,
        rows: summary.rows,
        predictedCounts: summary.predictedCounts,
        kindCounts: summary.kindCounts,
        confidenceCounts: summary.confidenceCounts,
        outOfScope: summary.outOfScope,
        ...(summary.metrics ? { metrics: summary.metrics.toJSON() } : {}),
        ...(summary.metricsByKind ? { metricsByKind: mapKinds(summary.metricsByKind, (m) => m.toJSON()) } : {}),
        ...(summary.labelSets ? { labelSets: summary.labelSets.toJSON() } : {}),
        ...(fingerprints ? { overlap: { rows: overlap.rows, matched: overlap.matched } } : {}),
        ...(evidence?.column ? { evidenceColumn: true } : {}),
        ...(options.formulas === 'keep' ? { formulasKept: true } : {}),
        ...(summary.misclassified ? { misclassified: summary.misclassified } : {}),
      };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      const total = error instanceof InvalidRowsError ? error.total : error.details.length;
      state = {
        index: item.index,
        rows: 0,
        predictedCounts: LABELS.map(() => 0),
        problems: error.details,
        problemCount: total,
      };
      problems += state.problemCount!;
    }
    await store.putText(
      bucket,
      `${partsPrefix}${partName(item.index, 'json')}`,
      JSON.stringify(state),
      'application/json',
    );
    rows += state.rows;
  }
  return { items: event.Items.length, rows, problems };
}
