import { type Confidence, emptyConfidenceCounts } from '#core/confidence.ts';
import { predictionRows, predictionsHeader } from '#core/csv/predictionsCsv.ts';
import { InputError } from '#core/errors.ts';
import { LABELS, SHORT_NAMES } from '#core/labels.ts';
import { type Metrics, MetricsAccumulator, metricsDocument } from '#core/metrics.ts';
import type { Limits, Prediction } from './api.ts';
import type { PageCsv } from './csvFile.ts';

/** One classified row, for the results table. */
export interface RowResult {
  line: number;
  title: string;
  abstract: string;
  /** Predicted label indices, LABELS order. */
  predicted: number[];
  truth?: number[];
  proba: number[];
  kind: string;
  confidence?: Confidence;
}

export interface BatchOutcome {
  /** `predictions.csv`, byte for byte what the CLI writes for the same file and model. */
  predictionsCsv: string;
  /** `metrics.json` (labelled files only), as the CLI writes it. */
  metrics?: Metrics;
  metricsJson?: string;
  predictedCounts: number[];
  rows: RowResult[];
  /** Requests sent to /predict. */
  requests: number;
}

const encoder = new TextEncoder();
/** `{"texts":[` … `]}` around the texts. */
const ENVELOPE_BYTES = encoder.encode('{"texts":[]}').length;

/**
 * Cuts the texts into requests the API accepts: at most `max_texts` per request and a body of at most
 * `max_body_bytes` (a batch of 64 long abstracts can pass 1 MB). Returns the end index of each batch.
 */
export function batchEnds(texts: readonly string[], limits: Limits, lines: readonly number[] = []): number[] {
  const ends: number[] = [];
  let count = 0;
  let bytes = ENVELOPE_BYTES;
  texts.forEach((text, i) => {
    const size = encoder.encode(JSON.stringify(text)).length;
    if (ENVELOPE_BYTES + size > limits.max_body_bytes)
      throw new InputError(
        'text_too_large',
        `line ${lines[i] ?? i + 1}: the text is ${size.toLocaleString('en')} bytes as JSON; the API takes requests of at most ${limits.max_body_bytes.toLocaleString('en')} bytes`,
        [{ ...(lines[i] ? { line: lines[i] } : {}), message: 'text larger than a request may be' }],
      );
    const separator = count > 0 ? 1 : 0;
    if (count === limits.max_texts || bytes + separator + size > limits.max_body_bytes) {
      ends.push(i);
      count = 0;
      bytes = ENVELOPE_BYTES;
    }
    bytes += (count > 0 ? 1 : 0) + size;
    count++;
  });
  if (count > 0) ends.push(texts.length);
  return ends;
}

/**
 * Classifies every row through `classify` (POST /predict) in batches the API accepts, in order, reporting
 * progress after each call. Labels and probabilities come from the API; the CSV and the metrics are written by the
 * core's own modules, bundled into the page.
 */
export async function classifyCsv(
  csv: PageCsv,
  classify: (texts: string[]) => Promise<Prediction[]>,
  limits: Limits,
  onProgress: (done: number, total: number) => void,
): Promise<BatchOutcome> {
  const { header, rows } = csv;
  const metrics = header.groupIndex === undefined ? undefined : new MetricsAccumulator();
  const predictedCounts = LABELS.map(() => 0);
  const confidenceCounts = emptyConfidenceCounts();
  const out: string[] = [predictionsHeader(header.columns)];
  const results: RowResult[] = [];
  const texts = rows.map((r) => r.text);
  const ends = batchEnds(
    texts,
    limits,
    rows.map((r) => r.line),
  );
  onProgress(0, rows.length);
  let start = 0;
  for (const end of ends) {
    const batch = rows.slice(start, end);
    const predictions = await classify(texts.slice(start, end));
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
      confidenceCounts[p.confidence]++;
      const proba = SHORT_NAMES.map((s) => p.proba[s]);
      results.push({
        line: row.line,
        title: row.fields[header.titleIndex] ?? '',
        abstract: row.fields[header.abstractIndex] ?? '',
        predicted: labels,
        ...(row.truth ? { truth: row.truth } : {}),
        proba,
        kind: p.kind,
        ...(p.confidence ? { confidence: p.confidence } : {}),
      });
      // The kind column is the one the API's answer carries: the router decides it once, on the server.
      return { fields: row.fields, labels, proba, kind: p.kind, confidence: p.confidence };
    });
    out.push(predictionRows(shaped, header.columns.length));
    start = end;
    onProgress(end, rows.length);
  }
  const result = metrics?.result();
  return {
    predictionsCsv: out.join(''),
    predictedCounts,
    rows: results,
    requests: ends.length,
    ...(result ? { metrics: result, metricsJson: metricsDocument(result, confidenceCounts) } : {}),
  };
}
