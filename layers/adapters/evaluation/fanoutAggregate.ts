import { z } from 'zod';
import type { Classifier } from '#core/classifier.ts';
import { CONFIDENCE_LEVELS, emptyConfidenceCounts, firstOutOfScope, type OutOfScopeRow } from '#core/confidence.ts';
import { predictionsHeader } from '#core/csv/predictionsCsv.ts';
import { InvalidRowsError, type ProblemDetail } from '#core/errors.ts';
import { inSampleCheck } from '#core/inSample.ts';
import { LabelSetCounts } from '#core/labelSets.ts';
import { LABELS } from '#core/labels.ts';
import { MetricsAccumulator } from '#core/metrics.ts';
import { emptyKindCounts, emptyKindMetrics } from '#core/pipeline/evaluateCsv.ts';
import { keepWorst } from '#core/pipeline/misclassified.ts';
import { RESULT_FILES, summaryFiles } from '#core/pipeline/results.ts';
import { TEXT_KINDS, type TextKind } from '#model/router.ts';
import { ObjectNotFound, type ObjectStore } from '../s3/objectStore.ts';
import { type AggregateEvent, partName, partStateSchema, rangeItemSchema } from './fanoutContracts.ts';
import { sourceNameFor } from './keys.ts';
import { withUpload, writeError, writeSummary } from './resultObjects.ts';

const aggregateResultSchema = z.object({ rows: z.number().int().nonnegative(), rejected: z.boolean() });
export type AggregateResult = z.infer<typeof aggregateResultSchema>;

/**
 * Where a finished aggregation records its outcome: next to the run's folder, not in it, so the parts can all go.
 * It expires with everything else under fanout/.
 */
export const doneMarkerFor = (partsPrefix: string): string => `${partsPrefix.replace(/\/$/, '')}.done.json`;

/**
 * After the map: parts in range-list order → predictions.csv; merged metrics → metrics.json and reports.
 * Retry-safe: Step Functions retries this step on Lambda service errors, possibly after it finished and deleted
 * the parts; a run that finds its done marker returns the recorded outcome and writes nothing.
 */
export async function aggregate(
  event: AggregateEvent,
  store: ObjectStore,
  manifest: Classifier['manifest'],
  maxProblems = 100,
): Promise<AggregateResult> {
  const doneKey = doneMarkerFor(event.partsPrefix);
  const previous = await store.readText(event.bucket, doneKey).then(
    (text) => aggregateResultSchema.parse(JSON.parse(text)),
    (error: unknown) => {
      if (error instanceof ObjectNotFound) return undefined;
      throw error;
    },
  );
  if (previous !== undefined) return previous;
  const result = await mergeParts(event, store, manifest, maxProblems);
  await store.putText(event.bucket, doneKey, JSON.stringify(result), 'application/json');
  await store.delete(event.bucket, await store.list(event.bucket, event.partsPrefix));
  return result;
}

async function mergeParts(
  event: AggregateEvent,
  store: ObjectStore,
  manifest: Classifier['manifest'],
  maxProblems: number,
): Promise<AggregateResult> {
  const { bucket, key, rangesKey, partsPrefix, resultPrefix } = event;
  const items = z.array(rangeItemSchema).parse(JSON.parse(await store.readText(bucket, rangesKey)));
  const states = await Promise.all(
    items.map(async (item) =>
      partStateSchema.parse(JSON.parse(await store.readText(bucket, `${partsPrefix}${partName(item.index, 'json')}`))),
    ),
  );
  const source = sourceNameFor(key);

  const problems: ProblemDetail[] = [];
  let problemCount = 0;
  for (const state of states) {
    problemCount += state.problemCount ?? 0;
    for (const p of state.problems ?? []) if (problems.length < maxProblems) problems.push(p as ProblemDetail);
  }
  if (problemCount > 0) {
    await writeError(store, bucket, resultPrefix, source, new InvalidRowsError(problemCount, problems));
    return { rows: 0, rejected: true };
  }

  const evidenceColumn = states.some((s) => s.evidenceColumn === true);
  if (states.some((s) => (s.evidenceColumn === true) !== evidenceColumn))
    throw new Error('parts disagree on the evidence column (chunk functions configured differently?)');
  // Every part counted its training rows (the chunks' model has fingerprints), or the check is left out, as inline.
  const overlap = states.every((s) => s.overlap !== undefined)
    ? {
        rows: states.reduce((n, s) => n + s.overlap!.rows, 0),
        matchedRows: states.reduce((n, s) => n + s.overlap!.matched, 0),
      }
    : undefined;
  const formulasKept = states.some((s) => s.formulasKept === true);
  if (states.some((s) => (s.formulasKept === true) !== formulasKept))
    throw new Error('parts disagree on formula cells (chunk functions configured differently?)');
  const collected = states.some((s) => s.misclassified !== undefined);
  const misclassified = collected ? keepWorst(states.flatMap((s) => s.misclassified ?? [])) : undefined;

  let metrics: MetricsAccumulator | undefined;
  let metricsByKind: Record<TextKind, MetricsAccumulator> | undefined;
  let labelSets: LabelSetCounts | undefined;
  const predictedCounts = LABELS.map(() => 0);
  const kindCounts = emptyKindCounts();
  const confidenceCounts = emptyConfidenceCounts();
  const outOfScope: OutOfScopeRow[] = [];
  let rows = 0;
  await withUpload(store, bucket, `${resultPrefix}${RESULT_FILES.predictions}`, async (sink) => {
    await sink.write(
      predictionsHeader(event.columns, { evidence: evidenceColumn, formulas: formulasKept ? 'keep' : 'neutralise' }),
    );
    for (const [i, item] of items.entries()) {
      for await (const chunk of await store.read(bucket, `${partsPrefix}${partName(item.index, 'csv')}`))
        await sink.write(chunk);
      const state = states[i]!;
      rows += state.rows;
      state.predictedCounts.forEach((c, l) => {
        predictedCounts[l]! += c;
      });
      for (const kind of TEXT_KINDS) kindCounts[kind] += state.kindCounts?.[kind] ?? 0;
      for (const level of CONFIDENCE_LEVELS) confidenceCounts[level] += state.confidenceCounts?.[level] ?? 0;
      outOfScope.push(...(state.outOfScope ?? []));
      if (state.metrics !== undefined) {
        metrics ??= new MetricsAccumulator();
        metrics.merge(MetricsAccumulator.fromJSON(state.metrics));
      }
      if (state.metricsByKind !== undefined) {
        metricsByKind ??= emptyKindMetrics();
        for (const kind of TEXT_KINDS)
          metricsByKind[kind].merge(MetricsAccumulator.fromJSON(state.metricsByKind[kind]));
      }
      if (state.labelSets !== undefined) {
        labelSets ??= new LabelSetCounts();
        labelSets.merge(LabelSetCounts.fromJSON(state.labelSets));
      }
    }
  });
  await writeSummary(
    store,
    bucket,
    resultPrefix,
    summaryFiles(source, manifest, {
      rows,
      predictedCounts,
      kindCounts,
      confidenceCounts,
      outOfScope: firstOutOfScope(outOfScope),
      ...(metrics ? { metrics } : {}),
      ...(metricsByKind ? { metricsByKind } : {}),
      ...(labelSets ? { labelSets } : {}),
      ...(overlap ? { inSample: inSampleCheck({}, overlap) } : {}),
      ...(misclassified ? { misclassified } : {}),
      blankLines: event.blankLines ?? 0,
    }),
    [RESULT_FILES.error],
  );
  return { rows, rejected: false };
}
