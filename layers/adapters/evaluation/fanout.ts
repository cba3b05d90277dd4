import { createHash } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { Classifier } from '../../core/classifier.ts';
import { type CsvHeader, DELIMITERS, headerFrom, openCsv } from '../../core/csv/csvReader.ts';
import { predictionsHeader } from '../../core/csv/predictionsCsv.ts';
import { InputError, InvalidRowsError, type ProblemDetail } from '../../core/errors.ts';
import { TEXT_KINDS, type TextKind } from '../../core/kinds.ts';
import { LABELS } from '../../core/labels.ts';
import { MetricsAccumulator } from '../../core/metrics.ts';
import {
  type EvidenceOptions,
  emptyKindCounts,
  emptyKindMetrics,
  evaluateCsv,
} from '../../core/pipeline/evaluateCsv.ts';
import { keepWorst, misclassifiedRowSchema } from '../../core/pipeline/misclassified.ts';
import { RESULT_FILES, summaryFiles } from '../../core/pipeline/results.ts';
import { ObjectNotFound, ObjectReplaced, type ObjectStore } from '../s3/objectStore.ts';
import { CONTENT_TYPES, evidenceFor, writeError, writeSummary } from './evaluateObject.ts';
import { fanoutPrefixFor, resultPrefixFor, sourceNameFor } from './keys.ts';
import { type AnnouncedObject, checkedBody } from './uploadedObject.ts';

/**
 * Fan-out of large CSVs on Step Functions' Distributed Map. The evaluate function scans the file once and
 * writes a manifest of row ranges (byte offsets, so an item is ~100 bytes whatever the abstracts' size and the
 * 256 KB payload limit is never near); each chunk invocation reads its byte ranges from S3 itself, predicts,
 * and writes prediction rows plus an exact metrics state; the aggregate step concatenates the parts in order
 * and merges the states. Rows, formatting and metrics go through the same code as the inline path, so the
 * outputs are byte-identical.
 */

export const manifestItemSchema = z.object({
  index: z.number().int().nonnegative(),
  /** Byte range [start, end) of the item's records in the incoming object. */
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
  firstLine: z.number().int().positive(),
  firstRow: z.number().int().nonnegative(),
  rows: z.number().int().positive(),
});
export type ManifestItem = z.infer<typeof manifestItemSchema>;

const headerSchema = z.object({
  columns: z.array(z.string()).min(2),
  delimiter: z.enum(DELIMITERS),
});

export const fanoutInputSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  manifestKey: z.string().min(1),
  partsPrefix: z.string().min(1),
  resultPrefix: z.string().min(1),
  columns: headerSchema.shape.columns,
  delimiter: headerSchema.shape.delimiter,
  /** ETag of the object version the manifest was planned on; chunks read only that version. */
  etag: z.string().min(1),
  rows: z.number().int().nonnegative(),
  items: z.number().int().nonnegative(),
  /** Whitespace-only lines of the whole file, counted by the planning scan (chunks see only their ranges). */
  blankLines: z.number().int().nonnegative().optional(),
});
export type FanoutInput = z.infer<typeof fanoutInputSchema>;

/** What the Distributed Map's ItemBatcher hands each chunk invocation. */
export const chunkEventSchema = z.object({
  Items: z.array(manifestItemSchema).min(1),
  BatchInput: fanoutInputSchema.pick({
    bucket: true,
    key: true,
    partsPrefix: true,
    columns: true,
    delimiter: true,
    etag: true,
  }),
});
export type ChunkEvent = z.infer<typeof chunkEventSchema>;

export const aggregateEventSchema = fanoutInputSchema.pick({
  bucket: true,
  key: true,
  manifestKey: true,
  partsPrefix: true,
  resultPrefix: true,
  columns: true,
  blankLines: true,
});
export type AggregateEvent = z.infer<typeof aggregateEventSchema>;

const partStateSchema = z.object({
  index: z.number().int(),
  rows: z.number().int(),
  predictedCounts: z.array(z.number().int()).length(LABELS.length),
  kindCounts: z.record(z.enum(TEXT_KINDS), z.number().int().nonnegative()).optional(),
  metrics: z.unknown().optional(),
  metricsByKind: z.record(z.enum(TEXT_KINDS), z.unknown()).optional(),
  problems: z
    .array(
      z.object({
        line: z.number().optional(),
        column: z.union([z.number(), z.string()]).optional(),
        field: z.string().optional(),
        message: z.string(),
      }),
    )
    .optional(),
  problemCount: z.number().int().optional(),
  /** Whether the part's rows carry the `evidence` column (the aggregate writes the matching header). */
  evidenceColumn: z.boolean().optional(),
  /** The part's worst misclassified rows; the aggregate keeps the worst of all parts (the same as inline). */
  misclassified: z.array(misclassifiedRowSchema).optional(),
});
type PartState = z.infer<typeof partStateSchema>;

const mapKinds = <A, B>(byKind: Record<TextKind, A>, f: (a: A) => B): Record<TextKind, B> =>
  Object.fromEntries(TEXT_KINDS.map((k) => [k, f(byKind[k])])) as Record<TextKind, B>;

/** The object was replaced after the fan-out was planned: its byte ranges no longer describe it. */
export class ObjectChangedError extends Error {
  constructor(bucket: string, key: string, planned: string, found: string | undefined) {
    super(
      `s3://${bucket}/${key} changed since the fan-out was planned (ETag ${planned}, now ${found ?? 'another'}); the new upload is evaluated by its own run`,
    );
    this.name = 'ObjectChangedError';
  }
}

const partName = (index: number, ext: string): string => `part-${String(index).padStart(6, '0')}.${ext}`;

/** How to evaluate one upload: inline (pinned to the version that was counted) or through the fan-out. */
export type EvaluationPlan = { kind: 'inline'; etag: string | undefined } | { kind: 'fanout'; input: FanoutInput };

/**
 * Scans the file once (header, records, byte offsets). At most `rowThreshold` rows: evaluate inline, reading the
 * same version (ETag). More: write the manifest and return the state machine's input. A malformed file throws the
 * same InputError the inline path would.
 *
 * Each run keeps its parts in a folder of its own, named from the object's ETag and the event's version token
 * (S3 versionId or sequencer): a redelivered event plans the same run (same manifest, same execution name, its
 * parts untouched), a new upload of the key gets a new run, and no run can delete another's parts.
 */
export async function planEvaluation(
  store: ObjectStore,
  ref: { bucket: string; key: string; version?: string | undefined } & AnnouncedObject,
  rowThreshold: number,
  rowsPerItem = 1000,
): Promise<EvaluationPlan> {
  const { bucket, key } = ref;
  const object = await store.open(bucket, key);
  const csv = await openCsv(checkedBody(bucket, key, object, ref));
  const items: ManifestItem[] = [];
  let rows = 0;
  let current: ManifestItem | undefined;
  let start = csv.headerEndByte;
  let firstLine = csv.headerNextLine;
  for await (const record of csv.records) {
    current ??= { index: items.length, start, end: start, firstLine, firstRow: rows, rows: 0 };
    current.rows++;
    current.end = record.endByte;
    rows++;
    if (current.rows === rowsPerItem) {
      items.push(current);
      current = undefined;
      start = record.endByte;
      firstLine = record.nextLine;
    }
  }
  if (current) items.push(current);
  if (rows <= rowThreshold) return { kind: 'inline', etag: object.etag };
  if (!object.etag)
    throw new Error(`s3://${bucket}/${key} came without an ETag; byte ranges cannot be pinned to a version`);
  const run = createHash('sha256')
    .update(`${object.etag}|${ref.version ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  const resultPrefix = resultPrefixFor(key);
  const partsPrefix = `${fanoutPrefixFor(key)}${run}/`;
  const manifestKey = `${partsPrefix}manifest.json`;
  await store.putText(bucket, manifestKey, JSON.stringify(items), 'application/json');
  return {
    kind: 'fanout',
    input: {
      bucket,
      key,
      manifestKey,
      partsPrefix,
      resultPrefix,
      columns: csv.header.columns,
      delimiter: csv.header.delimiter,
      etag: object.etag,
      rows,
      items: items.length,
      blankLines: csv.blankLines,
    },
  };
}

/** One chunk invocation: each item's rows predicted and written as a headerless part plus its metrics state. */
export async function processChunk(
  event: ChunkEvent,
  store: ObjectStore,
  classifier: Classifier,
  options: { evidence?: EvidenceOptions; logger?: Logger } = {},
): Promise<{ items: number; rows: number; problems: number }> {
  const { bucket, key, partsPrefix, columns, delimiter, etag } = event.BatchInput;
  const { evidence } = options.logger
    ? evidenceFor(classifier, options.evidence, options.logger)
    : { evidence: options.evidence };
  const header: CsvHeader = headerFrom(columns, delimiter);
  let rows = 0;
  let problems = 0;
  for (const item of event.Items) {
    const upload = store.upload(
      bucket,
      `${partsPrefix}${partName(item.index, 'csv')}`,
      CONTENT_TYPES[RESULT_FILES.predictions]!,
    );
    let state: PartState;
    try {
      const object = await store
        .open(bucket, key, { start: item.start, end: item.end - 1 }, etag)
        .catch((error: unknown) => {
          throw error instanceof ObjectReplaced ? new ObjectChangedError(bucket, key, etag, undefined) : error;
        });
      // S3 refuses a changed object (If-Match → 412, above); checking the ETag too keeps S3-compatible servers honest.
      if (object.etag !== etag) throw new ObjectChangedError(bucket, key, etag, object.etag);
      const summary = await evaluateCsv(object.body, classifier, upload.sink, {
        header,
        firstLine: item.firstLine,
        firstByte: item.start,
        writeHeader: false,
        ...(evidence ? { evidence } : {}),
      });
      await upload.done();
      if (summary.rows !== item.rows)
        throw new Error(
          `part ${item.index}: expected ${item.rows} rows, read ${summary.rows} (the object changed since it was planned?)`,
        );
      state = {
        index: item.index,
        rows: summary.rows,
        predictedCounts: summary.predictedCounts,
        kindCounts: summary.kindCounts,
        ...(summary.metrics ? { metrics: summary.metrics.toJSON() } : {}),
        ...(summary.metricsByKind ? { metricsByKind: mapKinds(summary.metricsByKind, (m) => m.toJSON()) } : {}),
        ...(evidence?.column ? { evidenceColumn: true } : {}),
        ...(summary.misclassified ? { misclassified: summary.misclassified } : {}),
      };
    } catch (error) {
      await upload.abort();
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

const aggregateResultSchema = z.object({ rows: z.number().int().nonnegative(), rejected: z.boolean() });
export type AggregateResult = z.infer<typeof aggregateResultSchema>;

/**
 * Where a finished aggregation records its outcome: next to the run's folder, not in it, so the parts can all go.
 * It expires with everything else under fanout/.
 */
export const doneMarkerFor = (partsPrefix: string): string => `${partsPrefix.replace(/\/$/, '')}.done.json`;

/**
 * After the map: parts in manifest order → predictions.csv; merged metrics → metrics.json and reports.
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
  const { bucket, key, manifestKey, partsPrefix, resultPrefix } = event;
  const items = z.array(manifestItemSchema).parse(JSON.parse(await store.readText(bucket, manifestKey)));
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
  const collected = states.some((s) => s.misclassified !== undefined);
  const misclassified = collected ? keepWorst(states.flatMap((s) => s.misclassified ?? [])) : undefined;

  const upload = store.upload(
    bucket,
    `${resultPrefix}${RESULT_FILES.predictions}`,
    CONTENT_TYPES[RESULT_FILES.predictions]!,
  );
  let metrics: MetricsAccumulator | undefined;
  let metricsByKind: Record<TextKind, MetricsAccumulator> | undefined;
  const predictedCounts = LABELS.map(() => 0);
  const kindCounts = emptyKindCounts();
  let rows = 0;
  try {
    await upload.sink.write(predictionsHeader(event.columns, { evidence: evidenceColumn }));
    for (const [i, item] of items.entries()) {
      for await (const chunk of await store.read(bucket, `${partsPrefix}${partName(item.index, 'csv')}`))
        await upload.sink.write(chunk);
      const state = states[i]!;
      rows += state.rows;
      state.predictedCounts.forEach((c, l) => {
        predictedCounts[l]! += c;
      });
      for (const kind of TEXT_KINDS) kindCounts[kind] += state.kindCounts?.[kind] ?? 0;
      if (state.metrics !== undefined) {
        metrics ??= new MetricsAccumulator();
        metrics.merge(MetricsAccumulator.fromJSON(state.metrics));
      }
      if (state.metricsByKind !== undefined) {
        metricsByKind ??= emptyKindMetrics();
        for (const kind of TEXT_KINDS)
          metricsByKind[kind].merge(MetricsAccumulator.fromJSON(state.metricsByKind[kind]));
      }
    }
    await upload.done();
  } catch (error) {
    await upload.abort();
    throw error;
  }
  await writeSummary(
    store,
    bucket,
    resultPrefix,
    summaryFiles(source, manifest, {
      rows,
      predictedCounts,
      kindCounts,
      ...(metrics ? { metrics } : {}),
      ...(metricsByKind ? { metricsByKind } : {}),
      ...(misclassified ? { misclassified } : {}),
      blankLines: event.blankLines ?? 0,
    }),
    [RESULT_FILES.error],
  );
  return { rows, rejected: false };
}
