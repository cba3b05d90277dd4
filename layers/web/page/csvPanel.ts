/// <reference lib="dom" />
import { InputError } from '#core/errors.ts';
import { inSampleCheck, messageBody, OverlapCounter, type TrainingData, TrainingFingerprints } from '#core/inSample.ts';
import { type Health, type Limits, predict, trainingFingerprintsFile } from './api.ts';
import { classifyCsv } from './csvBatch.ts';
import { fileChunks, type PageCsv, readPageCsv } from './csvFile.ts';
import { byId } from './dom.ts';
import { describeFailure } from './failure.ts';
import { fullName, SHORT_NAMES } from './labelStyle.ts';
import { el, renderMetrics } from './render.ts';
import { renderResultsTable } from './resultsTable.ts';

/**
 * The CSV flow: read the file in the browser with the CLI's reader (progress from the first chunk, the page stays
 * responsive), check it against the model's training data (in-sample warning), classify it through /predict in
 * batches sized by the server's limits, then offer predictions.csv, the results table and, for a labelled file,
 * the metrics. A new file or an error clears everything the previous run showed.
 */
export function setupCsvPanel(server: () => { limits: Limits; health?: Health }): void {
  const csvInput = byId<HTMLInputElement>('csv-input');
  const csvRun = byId('csv-run');
  const progress = byId<HTMLProgressElement>('csv-progress');
  const progressLabel = byId('csv-progress-label');
  const errors = byId('csv-errors');
  const done = byId('csv-done');
  const download = byId<HTMLAnchorElement>('csv-download');
  const metricsDownload = byId<HTMLAnchorElement>('metrics-download');
  const metrics = byId('csv-metrics');
  const inSample = byId('csv-in-sample');
  const table = byId('csv-table');
  let objectUrls: string[] = [];
  let fingerprints: Promise<TrainingFingerprints | undefined> | undefined;

  function reset(): void {
    for (const url of objectUrls) URL.revokeObjectURL(url);
    objectUrls = [];
    errors.replaceChildren();
    done.hidden = true;
    metrics.hidden = true;
    metrics.replaceChildren();
    metricsDownload.hidden = true;
    metricsDownload.removeAttribute('href');
    download.removeAttribute('href');
    inSample.hidden = true;
    inSample.replaceChildren();
    table.replaceChildren();
    csvRun.hidden = true;
    progress.removeAttribute('value');
    progressLabel.textContent = '';
  }

  function showProblems(error: unknown): void {
    const details = error instanceof InputError ? error.details : [];
    const items = details.slice(0, 20).map((d) =>
      el('li', {
        text: `line ${d.line ?? '?'}${d.column ? `, column ${d.column}` : ''}${d.field ? ` (${d.field})` : ''}: ${d.message}`,
      }),
    );
    const more = details.length > 20 ? [el('li', { text: `… and ${details.length - 20} more` })] : [];
    errors.replaceChildren(
      el('p', { text: describeFailure(error) }),
      ...(items.length ? [el('ul', {}, [...items, ...more])] : []),
    );
  }

  async function trainingData(): Promise<TrainingData> {
    const sha256 = server().health?.model.training_data?.sha256;
    fingerprints ??= trainingFingerprintsFile()
      .then((bytes) => (bytes ? new TrainingFingerprints(bytes) : undefined))
      .catch(() => undefined);
    const set = await fingerprints;
    return { ...(sha256 ? { sha256 } : {}), ...(set ? { fingerprints: set } : {}) };
  }

  async function sha256Of(file: File): Promise<string | undefined> {
    if (!crypto.subtle) return undefined; // not a secure context: the fingerprints still decide
    const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  async function showInSample(file: File, csv: PageCsv): Promise<void> {
    const training = await trainingData();
    const counter = new OverlapCounter(training.fingerprints);
    for (const row of csv.rows) counter.add(row.text);
    const check = inSampleCheck(training, {
      ...(training.sha256 ? { sha256: await sha256Of(file) } : {}),
      ...counter.counts(),
    });
    if (!check.message) return;
    inSample.className = check.inSample ? 'notice warning' : 'notice';
    inSample.replaceChildren(
      el('strong', { text: check.inSample ? 'In-sample scores. ' : 'Note. ' }),
      document.createTextNode(messageBody(check)),
    );
    inSample.hidden = false;
  }

  async function onFile(file: File): Promise<void> {
    reset();
    csvInput.disabled = true;
    csvRun.hidden = false;
    const { limits } = server();
    try {
      const csv = await readPageCsv(
        fileChunks(file, (read, total) => {
          progress.max = Math.max(total, 1);
          progress.value = read;
          progressLabel.textContent = `Reading ${file.name}: ${Math.round((100 * read) / Math.max(total, 1))} % (${(read / 1e6).toFixed(1)} of ${(total / 1e6).toFixed(1)} MB)`;
        }),
        { maxTextChars: limits.max_text_chars },
      );
      await showInSample(file, csv);
      const outcome = await classifyCsv(
        csv,
        async (texts) => predict({ texts }),
        limits,
        (n, total) => {
          progress.max = total;
          progress.value = n;
          progressLabel.textContent = `Classified ${n.toLocaleString('en')} of ${total.toLocaleString('en')} rows (up to ${limits.max_texts} per request)`;
        },
      );
      const blobUrl = (text: string, type: string) => {
        const url = URL.createObjectURL(new Blob([text], { type }));
        objectUrls.push(url);
        return url;
      };
      download.href = blobUrl(outcome.predictionsCsv, 'text/csv;charset=utf-8');
      const counts = outcome.predictedCounts.map((n, i) => `${fullName(SHORT_NAMES[i]!)} ${n}`).join(', ');
      byId('csv-summary').textContent =
        `${csv.rows.length.toLocaleString('en')} rows classified from ${file.name} in ${outcome.requests} request${outcome.requests > 1 ? 's' : ''}. Predicted: ${counts}.`;
      if (outcome.metrics && outcome.metricsJson) {
        metricsDownload.href = blobUrl(outcome.metricsJson, 'application/json');
        metricsDownload.hidden = false;
        renderMetrics(metrics, outcome.metrics);
        metrics.hidden = false;
      }
      renderResultsTable(table, outcome.rows);
      done.hidden = false;
    } catch (error) {
      reset();
      showProblems(error);
    } finally {
      csvInput.disabled = false;
      csvInput.value = '';
    }
  }

  const zone = byId('dropzone');
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('dragging'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    const file = event.dataTransfer?.files[0];
    if (file) void onFile(file);
  });
  csvInput.addEventListener('change', () => {
    const file = csvInput.files?.[0];
    if (file) void onFile(file);
  });
}
