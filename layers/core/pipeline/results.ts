import type { ModelManifest } from '../manifest.ts';
import { ClassifierError, InputError } from '../errors.ts';
import { renderHtmlReport, renderTextReport, type ReportInput } from '../report.ts';
import type { MetricsAccumulator } from '../metrics.ts';

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
}

export function reportInput(source: string, manifest: ModelManifest, summary: SummaryForReport): ReportInput {
  return {
    source,
    model: { name: manifest.name, version: manifest.version, backend: manifest.backend },
    rows: summary.rows,
    predictedCounts: summary.predictedCounts,
    ...(summary.metrics ? { metrics: summary.metrics.result() } : {}),
  };
}

/** The small result objects that follow `predictions.csv`: metrics (when labelled) and both reports. */
export function summaryFiles(source: string, manifest: ModelManifest, summary: SummaryForReport): Map<string, string> {
  const input = reportInput(source, manifest, summary);
  const files = new Map<string, string>();
  if (input.metrics) files.set(RESULT_FILES.metrics, `${JSON.stringify(input.metrics, null, 2)}\n`);
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
        : { code: 'internal_error', message: 'the file could not be evaluated because of an internal error', details: [] };
  return `${JSON.stringify({ source, error: body }, null, 2)}\n`;
}
