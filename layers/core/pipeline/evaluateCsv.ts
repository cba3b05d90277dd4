import { TEXT_KINDS, type TextKind } from '#model/router.ts';
import type { Classifier } from '../classifier.ts';
import { type Confidence, emptyConfidenceCounts, MAX_OUT_OF_SCOPE_ROWS, type OutOfScopeRow } from '../confidence.ts';
import { type CsvHeader, type CsvReadOptions, openCsv } from '../csv/csvReader.ts';
import { type FormulaCells, predictionRows, predictionsHeader } from '../csv/predictionsCsv.ts';
import { checkRecord, MAX_LISTED_PROBLEMS, noRowsError } from '../csv/records.ts';
import { InvalidRowsError, type ProblemDetail } from '../errors.ts';
import { ExplanationUnsupportedError, formatEvidence, rowEvidence } from '../explanation.ts';
import type { OverlapCounter } from '../inSample.ts';
import { LabelSetCounts } from '../labelSets.ts';
import { LABELS } from '../labels.ts';
import { MetricsAccumulator } from '../metrics.ts';
import { MisclassifiedCollector, type MisclassifiedRow } from './misclassified.ts';

/**
 * The CSV evaluation pipeline shared by the CLI, the S3 function and the fan-out chunks: stream records in,
 * classify them in batches, stream prediction rows out, accumulate metrics.
 *
 * Policy for bad rows: a file with any row that cannot be evaluated (wrong number of fields, title and abstract
 * both empty, an unknown or empty label) fails as a whole, and the error lists every such row with its line and
 * column. So `predictions.csv` always has exactly one row per input row, and no row is ever skipped silently.
 * Once a bad row is seen the model is no longer called, but reading goes on to report all problems at once.
 */

export interface EvaluateOptions extends CsvReadOptions {
  /** Rows per model call at most (default: the model's `rowsPerCall`, else 256); `MAX_BATCH_CHARS` bounds it too. */
  batchSize?: number;
  /** Write the predictions header line (false for fan-out chunks). */
  writeHeader?: boolean;
  /** Called after each batch with the number of rows done. */
  onProgress?: (rows: number) => void;
  /** Most problems listed in the error (the total is always given). */
  maxProblems?: number;
  /** Evidence for the results; absent: none (the plain prediction path, unchanged). */
  evidence?: EvidenceOptions;
  /** Counts the rows that are training rows of the model (inSample.ts); the caller reads it afterwards. */
  overlap?: OverlapCounter;
  /** Input cells a spreadsheet would run as formulas, in predictions.csv (default `neutralise`). */
  formulas?: FormulaCells;
}

export interface EvidenceOptions {
  /** Words per label, in the column and in the report. */
  top: number;
  /** Add the `evidence` column to the predictions (needs a backend that explains). */
  column: boolean;
  /** Keep the worst misclassified rows of a labelled file, explained when the backend can, for the report. */
  misclassified: boolean;
}

/** Where prediction text (or already-encoded UTF-8 bytes) goes; `write` may return a promise to apply backpressure. */
export interface TextSink {
  write(text: string | Uint8Array): void | Promise<void>;
}

export interface EvaluationSummary {
  header: CsvHeader;
  rows: number;
  labelled: boolean;
  /** Present when the file has a `group` column. */
  metrics?: MetricsAccumulator;
  predictedCounts: number[];
  /** Rows per kind of text (layers/model/router.ts). */
  kindCounts: Record<TextKind, number>;
  /** Rows per confidence level (layers/core/confidence.ts). */
  confidenceCounts: Record<Confidence, number>;
  /** The first rows out of scope, by line (the count is `confidenceCounts.out_of_scope`). */
  outOfScope: OutOfScopeRow[];
  /** Present when the file has a `group` column: the metrics of each kind's rows. */
  metricsByKind?: Record<TextKind, MetricsAccumulator>;
  /** With `evidence.misclassified` on a labelled file: the worst misclassified rows, worst first. */
  misclassified?: MisclassifiedRow[];
  /** Whitespace-only lines skipped (before the header and between rows): not rows, but counted for the report. */
  blankLines: number;
  /** Present when the file has a `group` column: which true label sets were predicted as which. */
  labelSets?: LabelSetCounts;
}

/** Rows per model call when neither the caller nor the classifier says. */
export const DEFAULT_BATCH_ROWS = 256;

/**
 * The most characters a batch holds before it is classified, whatever its row count: its rows' fields and the model
 * texts made from them, counted together. The memory bound of a batch, since one row may hold up to
 * `MAX_RECORD_CHARS` (4 Mi) in its fields.
 */
export const MAX_BATCH_CHARS = 1 << 22;

interface PendingRow {
  fields: string[];
  text: string;
  truth?: number[];
  line: number;
}

export async function evaluateCsv(
  source: AsyncIterable<Uint8Array>,
  classifier: Classifier,
  sink: TextSink,
  options: EvaluateOptions = {},
): Promise<EvaluationSummary> {
  const batchSize = options.batchSize ?? classifier.model.rowsPerCall ?? DEFAULT_BATCH_ROWS;
  const maxProblems = options.maxProblems ?? MAX_LISTED_PROBLEMS;
  const csv = await openCsv(source, options);
  const { header } = csv;
  const labelled = header.groupIndex !== undefined;
  const evidence = options.evidence;
  const formulas = options.formulas;
  if (evidence?.column && !classifier.canExplain) throw new ExplanationUnsupportedError(classifier.manifest.backend);
  const collector = evidence?.misclassified && labelled ? new MisclassifiedCollector() : undefined;
  const metrics = labelled ? new MetricsAccumulator() : undefined;
  const predictedCounts = LABELS.map(() => 0);
  const kindCounts = emptyKindCounts();
  const confidenceCounts = emptyConfidenceCounts();
  const outOfScope: OutOfScopeRow[] = [];
  const metricsByKind = labelled ? emptyKindMetrics() : undefined;
  const labelSets = labelled ? new LabelSetCounts() : undefined;
  const problems: ProblemDetail[] = [];
  let problemCount = 0;
  let rows = 0;
  let batch: PendingRow[] = [];
  let batchChars = 0;

  if (options.writeHeader !== false)
    await sink.write(predictionsHeader(header.columns, { evidence: evidence?.column === true, formulas }));

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const texts = batch.map((r) => r.text);
    const predictions = await classifier.classify(texts, { explain: evidence?.column === true });
    const out = batch.map((row, i) => {
      const p = predictions[i]!;
      for (const l of p.labels) predictedCounts[l]!++;
      kindCounts[p.kind]++;
      confidenceCounts[p.confidence]++;
      if (p.confidence === 'out_of_scope' && outOfScope.length < MAX_OUT_OF_SCOPE_ROWS) {
        const label = p.labels[0]!;
        outOfScope.push({ line: row.line, title: row.fields[header.titleIndex]!, label, proba: p.proba[label]! });
      }
      if (metrics) metrics.add(row.truth!, p.labels);
      if (metricsByKind) metricsByKind[p.kind].add(row.truth!, p.labels);
      labelSets?.add(row.truth!, p.labels);
      if (collector) {
        const title = row.fields[header.titleIndex]!;
        collector.offer({
          line: row.line,
          title,
          abstract: row.fields[header.abstractIndex]!,
          text: row.text,
          truth: row.truth!,
          predicted: p.labels,
          proba: p.proba,
          kind: p.kind,
        });
      }
      return {
        fields: row.fields,
        labels: p.labels,
        proba: p.proba,
        kind: p.kind,
        confidence: p.confidence,
        ...(p.explanation ? { evidence: formatEvidence(rowEvidence(p.explanation, p.labels, evidence!.top)) } : {}),
      };
    });
    await sink.write(predictionRows(out, header.columns.length, { formulas }));
    rows += batch.length;
    batch = [];
    batchChars = 0;
    options.onProgress?.(rows);
  };

  const report = (detail: ProblemDetail): void => {
    problemCount++;
    if (problems.length < maxProblems) problems.push(detail);
  };

  for await (const record of csv.records) {
    const rowProblems = checkRecord(record.fields, record.line, header);
    if (rowProblems.problems.length > 0) {
      rowProblems.problems.forEach(report);
      continue;
    }
    if (problemCount > 0) continue;
    options.overlap?.add(rowProblems.text);
    batch.push({
      fields: record.fields,
      text: rowProblems.text,
      line: record.line,
      ...(rowProblems.truth ? { truth: rowProblems.truth } : {}),
    });
    batchChars += rowProblems.text.length;
    for (const field of record.fields) batchChars += field.length;
    if (batch.length >= batchSize || batchChars >= MAX_BATCH_CHARS) await flush();
  }
  if (problemCount > 0) throw new InvalidRowsError(problemCount, problems);
  if (rows === 0 && batch.length === 0 && !options.header) throw noRowsError(csv.headerLine);
  await flush();
  const misclassified = collector ? await collector.finish(classifier, evidence!.top) : undefined;
  return {
    header,
    rows,
    labelled,
    ...(metrics ? { metrics } : {}),
    predictedCounts,
    kindCounts,
    confidenceCounts,
    outOfScope,
    ...(metricsByKind ? { metricsByKind } : {}),
    ...(labelSets ? { labelSets } : {}),
    blankLines: csv.blankLines,
    ...(misclassified ? { misclassified } : {}),
  };
}

export const emptyKindCounts = (): Record<TextKind, number> =>
  Object.fromEntries(TEXT_KINDS.map((k) => [k, 0])) as Record<TextKind, number>;
export const emptyKindMetrics = (): Record<TextKind, MetricsAccumulator> =>
  Object.fromEntries(TEXT_KINDS.map((k) => [k, new MetricsAccumulator()])) as Record<TextKind, MetricsAccumulator>;
