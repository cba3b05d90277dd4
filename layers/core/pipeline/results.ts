import { TEXT_KINDS, type TextKind } from '#model/router.ts';
import type { Confidence, OutOfScopeRow } from '../confidence.ts';
import { ClassifierError, InputError } from '../errors.ts';
import type { InSampleCheck } from '../inSample.ts';
import type { LabelSetCounts } from '../labelSets.ts';
import type { ModelManifest } from '../manifest.ts';
import { type MetricsAccumulator, metricsDocument } from '../metrics.ts';
import { type ReportInput, renderHtmlReport, renderTextReport } from '../report.ts';
import type { MisclassifiedRow } from './misclassified.ts';

/** The names of the result objects, the same on disk and in S3. */
export const RESULT_FILES = {
  predictions: 'predictions.csv',
  metrics: 'metrics.json',
  reportText: 'report.txt',
  reportHtml: 'report.html',
  error: 'error.json',
} as const;

export interface SummaryForReport {
  rows: number;
  metrics?: MetricsAccumulator;
  predictedCounts: number[];
  kindCounts: Record<TextKind, number>;
  /** Rows per confidence level; absent in summaries written before confidence existed. */
  confidenceCounts?: Record<Confidence, number>;
  /** The first rows out of scope, by line. */
  outOfScope?: OutOfScopeRow[];
  metricsByKind?: Record<TextKind, MetricsAccumulator>;
  misclassified?: MisclassifiedRow[];
  /** Whitespace-only lines skipped in the input: reported in report.txt/report.html (metrics.json keeps its shape). */
  blankLines?: number;
  labelSets?: LabelSetCounts;
  /** Whether the file is (mostly) the model's training data (inSample.ts). */
  inSample?: InSampleCheck;
}

export function reportInput(source: string, manifest: ModelManifest, summary: SummaryForReport): ReportInput {
  return {
    source,
    model: { name: manifest.name, version: manifest.version, backend: manifest.backend },
    rows: summary.rows,
    predictedCounts: summary.predictedCounts,
    ...(summary.metrics ? { metrics: summary.metrics.result() } : {}),
    kinds: TEXT_KINDS.filter((kind) => summary.kindCounts[kind] > 0).map((kind) => ({
      kind,
      rows: summary.kindCounts[kind],
      ...(summary.metricsByKind ? { metrics: summary.metricsByKind[kind].result() } : {}),
    })),
    ...(summary.misclassified ? { misclassified: summary.misclassified } : {}),
    ...(summary.blankLines ? { blankLines: summary.blankLines } : {}),
    ...(summary.labelSets ? { labelSets: summary.labelSets.rows() } : {}),
    ...(summary.inSample ? { inSample: summary.inSample } : {}),
    ...(summary.confidenceCounts ? { confidence: summary.confidenceCounts } : {}),
    ...(summary.outOfScope ? { outOfScope: summary.outOfScope } : {}),
  };
}

/** The small result objects that follow `predictions.csv`: metrics (when labelled) and both reports. */
export function summaryFiles(source: string, manifest: ModelManifest, summary: SummaryForReport): Map<string, string> {
  const input = reportInput(source, manifest, summary);
  const files = new Map<string, string>();
  if (input.metrics) files.set(RESULT_FILES.metrics, metricsDocument(input.metrics, input.confidence));
  files.set(RESULT_FILES.reportText, renderTextReport(input));
  files.set(RESULT_FILES.reportHtml, renderHtmlReport(input));
  return files;
}

/** `error.json`: what is wrong with the file, and where. Only user-fixable errors carry their message. */
export function errorDocument(source: string, error: unknown): string {
  const body =
    error instanceof InputError
      ? { code: error.code, message: error.message, details: error.details }
      : error instanceof ClassifierError
        ? { code: error.code, message: error.message, details: [] }
        : {
            code: 'internal_error',
            message: 'the file could not be evaluated because of an internal error',
            details: [],
          };
  return `${JSON.stringify({ source, error: body }, null, 2)}\n`;
}
