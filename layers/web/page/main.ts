/// <reference lib="dom" />
/**
 * The page's entry point (bundled by esbuild into assets/page.js): the single-abstract form with its evidence,
 * and the CSV flow. Everything it shows comes from the API (/health, /predict) or from the core's own modules.
 */
import './zodConfig.ts';
import { InputError } from '#core/errors.ts';
import { setupAccessToken, tokenRefusal } from './accessToken.ts';
import { ApiError, health, type Prediction, predict } from './api.ts';
import { BATCH_SIZE, classifyCsv } from './csvBatch.ts';
import { readCsvText } from './csvFile.ts';
import { EXAMPLE } from './example.ts';
import { fullName, SHORT_NAMES, type ShortName } from './labelStyle.ts';
import { el, renderChips, renderEvidence, renderMetrics, renderProbabilities, renderTopTerms } from './render.ts';

const byId = <T extends HTMLElement>(id: string): T => {
  const node = document.getElementById(id);
  if (!node) throw new Error(`page element #${id} is missing`);
  return node as T;
};

const form = byId<HTMLFormElement>('classify-form');
const titleInput = byId<HTMLInputElement>('title-input');
const abstractInput = byId<HTMLTextAreaElement>('abstract-input');
const classifyButton = form.querySelector<HTMLButtonElement>('[data-testid="classify-button"]')!;
const status = byId('classify-status');
const result = byId('result');
const evidenceFilter = byId<HTMLFieldSetElement>('evidence-filter');
const evidenceNote = byId('evidence-note');

const iamRequired = document.querySelector<HTMLMetaElement>('meta[name="predict-auth"]')?.content === 'iam';
const SIGNED_MESSAGE =
  'This deployment requires AWS SigV4-signed requests for POST /predict (IAM authorization), which a browser page cannot make. ' +
  'Call /predict with signed requests instead (for example with the AWS CLI or an SDK); the API docs describe the request.';

let thresholds: Record<string, number> = {};
let last: { prediction: Prediction; source: { title: string; abstract: string } } | undefined;

function describeFailure(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return tokenRefusal() ?? SIGNED_MESSAGE;
  if (error instanceof ApiError && error.status === 403) return SIGNED_MESSAGE;
  if (error instanceof ApiError) return `${error.message} (${error.code}, HTTP ${error.status})`;
  if (error instanceof InputError) return error.message;
  return `The request failed: ${error instanceof Error ? error.message : String(error)}`;
}

function showAuthNotice(): void {
  const notice = byId('auth-notice');
  notice.textContent = SIGNED_MESSAGE;
  notice.hidden = false;
}

async function loadModelInfo(): Promise<void> {
  try {
    const { model } = await health();
    thresholds = model.thresholds;
    byId('model-info').textContent = `model ${model.name} ${model.version} (${model.backend})`;
  } catch {
    byId('model-info').textContent = 'model information unavailable';
  }
}

/** Asks for evidence; a backend that cannot explain (400 explanation_unsupported) still gets its labels shown. */
async function classifyWithEvidence(item: {
  title: string;
  abstract: string;
}): Promise<{ prediction: Prediction; note: string }> {
  try {
    const [prediction] = await predict({ items: [item] }, true);
    return { prediction: prediction!, note: '' };
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'explanation_unsupported')) throw error;
    const [prediction] = await predict({ items: [item] });
    return { prediction: prediction!, note: error.message };
  }
}

function shownLabels(prediction: Prediction): ShortName[] {
  const choice =
    evidenceFilter.querySelector<HTMLInputElement>('input[name="evidence-label"]:checked')?.value ?? 'predicted';
  return choice === 'predicted' ? prediction.labels_short : [choice as ShortName];
}

function drawEvidence(): void {
  if (!last) return;
  const shown = shownLabels(last.prediction);
  renderEvidence(byId('evidence'), last.prediction, last.source, shown);
  renderTopTerms(byId('top-terms'), last.prediction, shown);
}

function buildEvidenceFilter(): void {
  const options: [string, string][] = [
    ['predicted', 'Predicted labels'],
    ...SHORT_NAMES.map((s): [string, string] => [s, fullName(s)]),
  ];
  const legend = evidenceFilter.querySelector('legend')!;
  evidenceFilter.replaceChildren(
    legend,
    ...options.map(([value, text], i) => {
      const input = el('input', { attrs: { type: 'radio', name: 'evidence-label', value, id: `evidence-${value}` } });
      input.checked = i === 0;
      input.addEventListener('change', drawEvidence);
      return el(
        'label',
        {
          className: `filter-option${value === 'predicted' ? '' : ` label-${value}`}`,
          attrs: { for: `evidence-${value}` },
        },
        [input, el('span', { text })],
      );
    }),
  );
}

async function onClassify(event: SubmitEvent): Promise<void> {
  event.preventDefault();
  const source = { title: titleInput.value, abstract: abstractInput.value };
  if (`${source.title} ${source.abstract}`.trim() === '') {
    status.textContent = 'Enter a title or an abstract first.';
    abstractInput.focus();
    return;
  }
  classifyButton.disabled = true;
  status.textContent = 'Classifying…';
  try {
    const { prediction, note } = await classifyWithEvidence(source);
    last = { prediction, source };
    renderChips(byId('chips'), prediction);
    renderProbabilities(byId('probabilities'), prediction, thresholds);
    drawEvidence();
    evidenceNote.textContent = note || (prediction.explanation ? '' : 'This model returned no evidence.');
    result.hidden = false;
    status.textContent = `Predicted: ${prediction.labels.join(', ')}`;
  } catch (error) {
    status.textContent = describeFailure(error);
  } finally {
    classifyButton.disabled = false;
  }
}

function onExample(): void {
  titleInput.value = EXAMPLE.title;
  abstractInput.value = EXAMPLE.abstract;
  form.requestSubmit();
}

// --- CSV ---------------------------------------------------------------------------------------------------
const csvInput = byId<HTMLInputElement>('csv-input');
const csvRun = byId('csv-run');
const csvProgress = byId<HTMLProgressElement>('csv-progress');
const csvProgressLabel = byId('csv-progress-label');
const csvErrors = byId('csv-errors');
const csvDone = byId('csv-done');
const csvDownload = byId<HTMLAnchorElement>('csv-download');
const metricsDownload = byId<HTMLAnchorElement>('metrics-download');
const csvMetrics = byId('csv-metrics');
let objectUrls: string[] = [];

function showCsvProblems(error: unknown): void {
  const items =
    error instanceof InputError
      ? error.details.slice(0, 20).map((d) =>
          el('li', {
            text: `line ${d.line ?? '?'}${d.column ? `, column ${d.column}` : ''}${d.field ? ` (${d.field})` : ''}: ${d.message}`,
          }),
        )
      : [];
  const more =
    error instanceof InputError && error.details.length > 20
      ? [el('li', { text: `… and ${error.details.length - 20} more` })]
      : [];
  csvErrors.replaceChildren(
    el('p', { text: describeFailure(error) }),
    ...(items.length ? [el('ul', {}, [...items, ...more])] : []),
  );
}

async function onCsvFile(file: File): Promise<void> {
  for (const url of objectUrls) URL.revokeObjectURL(url);
  objectUrls = [];
  csvErrors.replaceChildren();
  csvDone.hidden = true;
  csvMetrics.hidden = true;
  metricsDownload.hidden = true;
  csvInput.disabled = true;
  try {
    const csv = readCsvText(await file.text());
    csvRun.hidden = false;
    const outcome = await classifyCsv(
      csv,
      async (texts) => predict({ texts }),
      (done, total) => {
        csvProgress.max = total;
        csvProgress.value = done;
        csvProgressLabel.textContent = `Classified ${done.toLocaleString('en')} of ${total.toLocaleString('en')} rows (${BATCH_SIZE} per request)`;
      },
    );
    const blobUrl = (text: string, type: string) => {
      const url = URL.createObjectURL(new Blob([text], { type }));
      objectUrls.push(url);
      return url;
    };
    csvDownload.href = blobUrl(outcome.predictionsCsv, 'text/csv;charset=utf-8');
    const counts = outcome.predictedCounts.map((n, i) => `${fullName(SHORT_NAMES[i]!)} ${n}`).join(', ');
    byId('csv-summary').textContent =
      `${csv.rows.length.toLocaleString('en')} rows classified from ${file.name}. Predicted: ${counts}.`;
    if (outcome.metrics && outcome.metricsJson) {
      metricsDownload.href = blobUrl(outcome.metricsJson, 'application/json');
      metricsDownload.hidden = false;
      renderMetrics(csvMetrics, outcome.metrics);
      csvMetrics.hidden = false;
    }
    csvDone.hidden = false;
  } catch (error) {
    showCsvProblems(error);
  } finally {
    csvInput.disabled = false;
    csvInput.value = '';
  }
}

function wireDropZone(): void {
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
    if (file) void onCsvFile(file);
  });
}

buildEvidenceFilter();
form.addEventListener('submit', (event) => void onClassify(event));
byId('example-button').addEventListener('click', onExample);
csvInput.addEventListener('change', () => {
  const file = csvInput.files?.[0];
  if (file) void onCsvFile(file);
});
wireDropZone();
if (iamRequired) showAuthNotice();
setupAccessToken();
void loadModelInfo();
