/// <reference lib="dom" />
import { modelLengthOver, recordText } from '#core/text.ts';
import { ApiError, type Health, type Limits, type Prediction, predict, predictUrl } from './api.ts';
import { byId } from './dom.ts';
import { EXAMPLES } from './examples.ts';
import { describeFailure } from './failure.ts';
import { fullName, labelClass, SHORT_NAMES, type ShortName } from './labelStyle.ts';
import {
  el,
  renderChips,
  renderEvidence,
  renderLegend,
  renderProbabilities,
  renderTopTerms,
  wireEvidenceKeys,
} from './render.ts';
import { curlSnippet, fetchSnippet } from './snippets.ts';

/**
 * The single-abstract form: Classify (button, Enter, Ctrl/Cmd+Enter in the abstract), the example buttons, Clear,
 * and the result: chips, confidence, probabilities, evidence and the "call this from code" snippets. After a
 * classification the result scrolls into view and takes focus, and its summary is announced.
 */
export function setupSingleForm(server: () => { limits: Limits; health?: Health }): void {
  const thresholds = (): Record<string, number> => server().health?.model.thresholds ?? {};
  const form = byId<HTMLFormElement>('classify-form');
  const titleInput = byId<HTMLInputElement>('title-input');
  const abstractInput = byId<HTMLTextAreaElement>('abstract-input');
  const classifyButton = form.querySelector<HTMLButtonElement>('[data-testid="classify-button"]')!;
  const status = byId('classify-status');
  const result = byId('result');
  const summary = byId('result-summary');
  const evidenceFilter = byId<HTMLFieldSetElement>('evidence-filter');
  const evidenceNote = byId('evidence-note');
  const evidence = byId('evidence');
  const detail = byId('evidence-detail');
  let last: { prediction: Prediction; source: { title: string; abstract: string } } | undefined;

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
    renderEvidence(evidence, last.prediction, last.source, shown);
    renderTopTerms(byId('top-terms'), last.prediction, shown);
    detail.textContent = '';
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
            className: `filter-option${value === 'predicted' ? '' : ` ${labelClass(value as ShortName)}`}`,
            attrs: { for: `evidence-${value}` },
          },
          [input, el('span', { text })],
        );
      }),
    );
  }

  function drawSnippets(source: { title: string; abstract: string }): void {
    const input = { url: predictUrl(), ...source };
    byId('snippet-curl').textContent = curlSnippet(input);
    byId('snippet-fetch').textContent = fetchSnippet(input);
  }

  /** A status line; a failure is styled as one, and the result shown before it is hidden (it no longer matches). */
  function say(text: string, failed = false): void {
    status.textContent = text;
    status.classList.toggle('failed', failed);
    if (!failed) return;
    result.hidden = true;
    last = undefined;
  }

  async function onClassify(event: Event): Promise<void> {
    event.preventDefault();
    const source = { title: titleInput.value, abstract: abstractInput.value };
    const text = recordText(source.title, source.abstract);
    if (text === '') {
      say('Enter a title or an abstract first.');
      abstractInput.focus();
      return;
    }
    // Checked before sending, as the API counts it (after NFKC), against this deployment's limit (from /health).
    const max = server().limits.max_text_chars;
    const read = modelLengthOver(text, max);
    if (read !== undefined) {
      say(
        `Title + abstract has ${read.toLocaleString('en')} characters as the model reads it (after NFKC normalisation); this API takes at most ${max.toLocaleString('en')} per text: shorten it.`,
        true,
      );
      abstractInput.focus();
      return;
    }
    classifyButton.disabled = true;
    say('Classifying…');
    try {
      const { prediction, note } = await classifyWithEvidence(source);
      last = { prediction, source };
      renderChips(byId('chips'), prediction);
      renderProbabilities(byId('probabilities'), prediction, thresholds());
      drawEvidence();
      drawSnippets(source);
      evidenceNote.textContent = note || (prediction.explanation ? '' : 'This model returned no evidence.');
      const said = byId('chips').querySelector('[data-testid="confidence"] strong')?.textContent;
      summary.textContent = `Predicted: ${prediction.labels.join(', ')}${said ? `. ${said}` : ''}.`;
      result.hidden = false;
      say(summary.textContent);
      // The answer is what the user waits for: bring it into view and move focus to it (its summary is read out).
      result.scrollIntoView({ block: 'start', behavior: 'smooth' });
      result.focus({ preventScroll: true });
    } catch (error) {
      say(describeFailure(error), true);
    } finally {
      classifyButton.disabled = false;
    }
  }

  function onClear(): void {
    titleInput.value = '';
    abstractInput.value = '';
    result.hidden = true;
    last = undefined;
    say('Cleared.');
    titleInput.focus();
  }

  function buildExamples(): void {
    const groups = (['one-liner', 'abstract'] as const).map((kind) =>
      el('div', { className: 'example-group' }, [
        el('span', { className: 'example-kind', text: kind === 'one-liner' ? 'One-liners:' : 'Abstracts:' }),
        ...EXAMPLES.filter((e) => e.kind === kind).map((example) => {
          const button = el('button', {
            className: `example ${labelClass(example.label)}`,
            text: example.name,
            attrs: {
              type: 'button',
              'data-testid': 'example-button',
              'data-example': example.id,
              title: `${fullName(example.label)} example${example.title ? `: ${example.title}` : ''}`,
            },
          });
          button.addEventListener('click', () => {
            titleInput.value = example.title;
            abstractInput.value = example.abstract;
            form.requestSubmit();
          });
          return button;
        }),
      ]),
    );
    byId('examples').replaceChildren(...groups);
  }

  function wireCopyButtons(): void {
    for (const button of Array.from(document.querySelectorAll<HTMLButtonElement>('button[data-copy]'))) {
      button.addEventListener('click', async () => {
        const text = byId(button.dataset.copy!).textContent ?? '';
        try {
          await navigator.clipboard.writeText(text);
          button.textContent = 'Copied';
        } catch {
          // No clipboard access (an insecure origin, a denied permission): select the text for Ctrl+C instead.
          getSelection()?.selectAllChildren(byId(button.dataset.copy!));
          button.textContent = 'Selected: press Ctrl+C';
        }
        setTimeout(() => {
          button.textContent = 'Copy';
        }, 2000);
      });
    }
  }

  buildEvidenceFilter();
  buildExamples();
  renderLegend(byId('evidence-legend'));
  wireEvidenceKeys(evidence, detail);
  wireCopyButtons();
  form.addEventListener('submit', (event) => void onClassify(event));
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  byId('clear-button').addEventListener('click', onClear);
}
