import { predictionRows, predictionsHeader } from '#core/csv/predictionsCsv.ts';
import { LABELS, SHORT_NAMES } from '#core/labels.ts';
import { type Metrics, MetricsAccumulator } from '#core/metrics.ts';
import type { Prediction } from './api.ts';
import type { PageCsv } from './csvFile.ts';

/** The API's limit of texts per request: one request per batch. */
export const BATCH_SIZE = 64;

export interface BatchOutcome {
  /** `predictions.csv`, byte for byte what the CLI writes for the same file and model. */
  predictionsCsv: string;
  /** `metrics.json` (labelled files only), as the CLI writes it. */
  metrics?: Metrics;
  metricsJson?: string;
  predictedCounts: number[];
}

/**
 * Classifies every row through `classify` (POST /predict), BATCH_SIZE rows per call, in order, reporting
 * progress after each call. Labels and probabilities come from the API; the CSV and the metrics are written
 * by the core's own modules, bundled into the page.
 */
export async function classifyCsv(
  csv: PageCsv,
  classify: (texts: string[]) => Promise<Prediction[]>,
  onProgress: (done: number, total: number) => void,
): Promise<BatchOutcome> {
  const { header, rows } = csv;
  const metrics = header.groupIndex === undefined ? undefined : new MetricsAccumulator();
  const predictedCounts = LABELS.map(() => 0);
  const out: string[] = [predictionsHeader(header.columns)];
  onProgress(0, rows.length);
  for (let start = 0; start < rows.length; start += BATCH_SIZE) {
    const batch = rows.slice(start, start + BATCH_SIZE);
    const predictions = await classify(batch.map((r) => r.text));
    if (predictions.length !== batch.length)
      throw new Error(`the API answered ${predictions.length} predictions for ${batch.length} texts`);
    const shaped = batch.map((row, i) => {
      const p = predictions[i]!;
      const labels = p.labels
        .map((name) => LABELS.indexOf(name as (typeof LABELS)[number]))
        .filter((l) => l >= 0)
        .sort((a, b) => a - b);
      for (const l of labels) predictedCounts[l]!++;
      if (metrics && row.truth) metrics.add(row.truth, labels);
      // The kind column is the one the API's answer carries: the router decides it once, on the server.
      return {
        fields: row.fields,
        labels,
        proba: SHORT_NAMES.map((s) => p.proba[s]),
        kind: p.kind,
        confidence: p.confidence,
      };
    });
    out.push(predictionRows(shaped, header.columns.length));
    onProgress(Math.min(start + batch.length, rows.length), rows.length);
  }
  const result = metrics?.result();
  return {
    predictionsCsv: out.join(''),
    predictedCounts,
    ...(result ? { metrics: result, metricsJson: `${JSON.stringify(result, null, 2)}\n` } : {}),
  };
}
