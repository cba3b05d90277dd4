/// <reference lib="dom" />
import type { Metrics } from '#core/metrics.ts';
import type { LabelEvidence, Prediction } from './api.ts';
import { confidenceView } from './confidence.ts';
import { SCALE, shownTerms, strengthOf } from './evidenceScale.ts';
import { dominantLabel, segments, titleAndAbstractRanges } from './highlight.ts';
import { fullName, LABELS, labelClass, SHORT_NAMES, type ShortName } from './labelStyle.ts';

/**
 * DOM building for the page. Every piece of user or API text goes in through `textContent` (never innerHTML),
 * so an abstract holding `<script>` shows as those characters.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: { className?: string; text?: string; attrs?: Record<string, string> } = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  if (options.text !== undefined) node.textContent = options.text;
  for (const [name, value] of Object.entries(options.attrs ?? {})) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

const percent = (p: number): string => `${(p * 100).toFixed(1)}%`;
const signed = (w: number): string => `${w >= 0 ? '+' : '−'}${Math.abs(w).toFixed(3)}`;

/**
 * The predicted labels as chips, and beside them the answer's confidence in words when the API gives it (chips
 * outlined and grey-toned when uncertain), and a note for short texts.
 */
export function renderChips(container: HTMLElement, prediction: Prediction): void {
  const view = confidenceView(prediction);
  const chips = prediction.labels_short.map((short) =>
    el('span', {
      className: `chip ${labelClass(short)}${view.uncertain ? ' uncertain' : ''}`,
      text: fullName(short),
      attrs: { 'data-testid': 'label-chip' },
    }),
  );
  const notes: Node[] = [];
  if (view.text !== undefined)
    notes.push(
      el('span', { className: `confidence ${prediction.confidence}`, attrs: { 'data-testid': 'confidence' } }, [
        el('strong', { text: view.text }),
        ...(view.detail ? [document.createTextNode(` — ${view.detail}`)] : []),
      ]),
    );
  if (view.note)
    notes.push(el('span', { className: 'kind-note', text: view.note, attrs: { 'data-testid': 'kind-note' } }));
  container.replaceChildren(...chips, ...notes);
}

/** One row per label: name, a bar of the probability with the threshold marked, the probability as text. */
export function renderProbabilities(
  container: HTMLElement,
  prediction: Prediction,
  thresholds: Partial<Record<string, number>>,
): void {
  const rows = SHORT_NAMES.map((short, i) => {
    const p = prediction.proba[short];
    const threshold = thresholds[LABELS[i]!];
    const predicted = prediction.labels_short.includes(short);
    const fill = el('div', { className: `bar-fill ${labelClass(short)}` });
    fill.style.width = percent(p);
    const bar = el('div', { className: 'bar', attrs: { 'aria-hidden': 'true' } }, [fill]);
    if (threshold !== undefined) {
      const mark = el('div', { className: 'bar-threshold', attrs: { title: `threshold ${percent(threshold)}` } });
      mark.style.left = percent(threshold);
      bar.append(mark);
    }
    const name = el('span', { className: `proba-name${predicted ? ' predicted' : ''}` }, [
      el('span', { className: `swatch ${labelClass(short)}` }),
      document.createTextNode(fullName(short)),
    ]);
    const value = el('span', {
      className: 'proba-value',
      text: p.toFixed(3),
      attrs: { 'data-testid': `proba-${short}` },
    });
    const detail = threshold === undefined ? '' : `threshold ${threshold.toFixed(3)}`;
    return el(
      'div',
      {
        className: 'proba-row',
        attrs: {
          role: 'listitem',
          'aria-label': `${fullName(short)}: probability ${p.toFixed(3)}${detail ? `, ${detail}` : ''}${predicted ? ', predicted' : ''}`,
        },
      },
      [name, bar, value, el('span', { className: 'proba-threshold', text: detail })],
    );
  });
  container.setAttribute('role', 'list');
  container.replaceChildren(...rows);
}

function markedText(
  text: string,
  from: number,
  to: number,
  explanation: Partial<Record<ShortName, LabelEvidence>>,
  shown: readonly ShortName[],
): Node[] {
  return segments(text, explanation, from, to).map((segment) => {
    const label = dominantLabel(segment.weights, shown);
    const weight = label === undefined ? 0 : segment.weights[label]!;
    const strength = label === undefined ? 0 : strengthOf(segment.text.trim(), weight);
    if (label === undefined || strength === 0) return document.createTextNode(segment.text);
    const detail = weightsText(segment.text, segment.weights, shown);
    return el('mark', {
      className: `ev ${labelClass(label)} ${weight >= 0 ? 'up' : 'down'} s${strength}`,
      text: segment.text,
      // Hover shows the weights; focus and tap show them in the detail line (renderEvidence).
      attrs: { title: detail, 'data-detail': detail, tabindex: '-1' },
    });
  });
}

/** "troponin: Cardiovascular +2.056, Hepatorenal −0.110" */
function weightsText(word: string, weights: Partial<Record<ShortName, number>>, shown: readonly ShortName[]): string {
  const parts = shown.filter((l) => weights[l] !== undefined).map((l) => `${fullName(l)} ${signed(weights[l]!)}`);
  return `${word.trim()}: ${parts.join(', ')}`;
}

/**
 * The evidence words as one keyboard stop (a roving tab index, like a toolbar): Tab reaches the first word, the
 * arrow keys, Home and End move between words, and the focused or tapped word's weights appear in `detail`
 * (a live region, so screen readers announce them) as well as on hover.
 */
export function wireEvidenceKeys(container: HTMLElement, detail: HTMLElement): void {
  const marks = () => Array.from(container.querySelectorAll<HTMLElement>('mark.ev'));
  const show = (mark: HTMLElement) => {
    for (const m of marks()) {
      m.tabIndex = m === mark ? 0 : -1;
      m.classList.toggle('current', m === mark);
    }
    detail.textContent = mark.dataset.detail ?? '';
  };
  container.addEventListener('focusin', (event) => {
    if (event.target instanceof HTMLElement && event.target.matches('mark.ev')) show(event.target);
  });
  container.addEventListener('click', (event) => {
    const mark = event.target instanceof Element ? event.target.closest<HTMLElement>('mark.ev') : null;
    if (mark) mark.focus();
  });
  container.addEventListener('keydown', (event) => {
    const all = marks();
    const at = all.indexOf(document.activeElement as HTMLElement);
    if (at < 0) return;
    const next =
      event.key === 'ArrowRight' || event.key === 'ArrowDown'
        ? Math.min(at + 1, all.length - 1)
        : event.key === 'ArrowLeft' || event.key === 'ArrowUp'
          ? Math.max(at - 1, 0)
          : event.key === 'Home'
            ? 0
            : event.key === 'End'
              ? all.length - 1
              : -1;
    if (next < 0) return;
    event.preventDefault();
    all[next]!.focus();
  });
}

/** The title and abstract the model read, with each evidence word marked in the colour of the label it pushes hardest. */
export function renderEvidence(
  container: HTMLElement,
  prediction: Prediction,
  source: { title: string; abstract: string },
  shown: readonly ShortName[],
): void {
  const explanation = prediction.explanation ?? {};
  const text = prediction.input;
  const ranges = titleAndAbstractRanges(source.title, source.abstract);
  const parts: Node[] = [];
  if (ranges.title[1] > ranges.title[0])
    parts.push(
      el('p', { className: 'ev-title' }, markedText(text, ranges.title[0], ranges.title[1], explanation, shown)),
    );
  if (ranges.abstract[1] > ranges.abstract[0])
    parts.push(
      el(
        'p',
        { className: 'ev-abstract' },
        markedText(text, ranges.abstract[0], ranges.abstract[1], explanation, shown),
      ),
    );
  container.replaceChildren(...parts);
  // The first word is the one Tab reaches; the others by the arrow keys.
  const first = container.querySelector<HTMLElement>('mark.ev');
  if (first) first.tabIndex = 0;
}

/** The legend of the highlight scale, the same in every text (evidenceScale.ts). */
export function renderLegend(container: HTMLElement): void {
  container.replaceChildren(
    el('span', { className: 'legend-title', text: 'Highlight strength (what a word adds to a label’s score):' }),
    ...SCALE.map((step, i) =>
      el('span', { className: 'legend-item' }, [
        el('mark', { className: `ev label-neutral up s${step.level}`, text: step.name }),
        document.createTextNode(` ${step.from}${SCALE[i + 1] ? `–${SCALE[i + 1]!.from}` : ' or more'}`),
      ]),
    ),
    el('span', {
      className: 'legend-item',
      text: 'Below 0.5 not highlighted; function words and numbers only from 1.5. Dashed: pushes the label down.',
    }),
  );
}

/** The strongest words per shown label, as a readable list (the same evidence without hovering). */
export function renderTopTerms(
  container: HTMLElement,
  prediction: Prediction,
  shown: readonly ShortName[],
  count = 6,
): void {
  const explanation = prediction.explanation ?? {};
  container.replaceChildren(
    ...shown
      .filter((l) => explanation[l])
      .map((label) => {
        const evidence = explanation[label]!;
        const { terms, hidden } = shownTerms(evidence, count);
        const items = terms.map((t) =>
          el('li', { className: t.weight >= 0 ? 'up' : 'down' }, [
            el('span', { className: 'term', text: t.text }),
            el('span', { className: 'weight', text: signed(t.weight) }),
          ]),
        );
        return el('div', { className: `top-terms ${labelClass(label)}` }, [
          el('h4', {}, [
            el('span', { className: `swatch ${labelClass(label)}` }),
            document.createTextNode(fullName(label)),
          ]),
          el('p', {
            className: 'logit',
            text: `score ${signed(evidence.logit)} = bias ${signed(evidence.bias)} + the words' weights${evidence.rest !== 0 ? ` (${signed(evidence.rest)} from words not listed)` : ''}`,
          }),
          el('ol', {}, items),
          ...(hidden > 0
            ? [
                el('p', {
                  className: 'hidden-terms',
                  text: `${hidden} word${hidden > 1 ? 's' : ''} below the scale not listed`,
                }),
              ]
            : []),
        ]);
      }),
  );
}

const fixed = (x: number): string => x.toFixed(3);

/** The metrics of a labelled file: the headline weighted F1, then per label and the averages. */
export function renderMetrics(container: HTMLElement, metrics: Metrics): void {
  const head = el('thead', {}, [
    el(
      'tr',
      {},
      ['', 'precision', 'recall', 'F1', 'support'].map((h) => el('th', { text: h, attrs: { scope: 'col' } })),
    ),
  ]);
  const rows = LABELS.map((label, i) => {
    const s = metrics.per_label[label];
    return el('tr', {}, [
      el('th', { attrs: { scope: 'row' } }, [
        el('span', { className: `swatch ${labelClass(SHORT_NAMES[i]!)}` }),
        document.createTextNode(label),
      ]),
      el('td', { text: fixed(s.precision) }),
      el('td', { text: fixed(s.recall) }),
      el('td', { text: fixed(s.f1) }),
      el('td', { text: String(s.support) }),
    ]);
  });
  const averages = (['micro', 'macro', 'weighted', 'samples'] as const).map((name) =>
    el('tr', { className: 'average' }, [
      el('th', { text: `${name} average`, attrs: { scope: 'row' } }),
      el('td', { text: fixed(metrics[name].precision) }),
      el('td', { text: fixed(metrics[name].recall) }),
      el('td', { text: fixed(metrics[name].f1) }),
      el('td', { text: '' }),
    ]),
  );
  container.replaceChildren(
    el('div', { className: 'headline' }, [
      el('div', { className: 'figure' }, [
        el('span', {
          className: 'figure-value',
          text: fixed(metrics.weighted.f1),
          attrs: { 'data-metric': 'weighted-f1' },
        }),
        el('span', { className: 'figure-name', text: 'weighted F1' }),
      ]),
      el('div', { className: 'figure' }, [
        el('span', { className: 'figure-value', text: fixed(metrics.subset_accuracy) }),
        el('span', { className: 'figure-name', text: 'subset accuracy' }),
      ]),
      el('div', { className: 'figure' }, [
        el('span', { className: 'figure-value', text: fixed(metrics.hamming_loss) }),
        el('span', { className: 'figure-name', text: 'Hamming loss' }),
      ]),
      el('div', { className: 'figure' }, [
        el('span', { className: 'figure-value', text: String(metrics.n_rows) }),
        el('span', { className: 'figure-name', text: 'rows' }),
      ]),
    ]),
    el('div', { className: 'table-scroll' }, [
      el('table', { className: 'metrics' }, [
        el('caption', {
          text: "Metrics against the file's group column (scikit-learn definitions, zero_division = 0)",
        }),
        head,
        el('tbody', {}, [...rows, ...averages]),
      ]),
    ]),
  );
}
