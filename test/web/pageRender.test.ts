// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest';
import type { Prediction } from '#web/page/api.ts';
import type { RowResult } from '#web/page/csvBatch.ts';
import { renderChips, renderEvidence, wireEvidenceKeys } from '#web/page/render.ts';
import { INITIAL_STATE, renderResultsTable, tableView } from '#web/page/resultsTable.ts';

/** The page's rendering functions on a DOM (happy-dom): what a person sees for each answer the API can give. */
const prediction = (overrides: Partial<Prediction> = {}): Prediction => ({
  input: 'Chest pain with the troponin rise',
  proba: { cardio: 0.97, hepato: 0.02, neuro: 0.1, onco: 0.01 },
  labels_short: ['cardio'],
  labels: ['cardiovascular'],
  kind: 'real',
  confidence: 'high',
  ...overrides,
});

let container: HTMLElement;
beforeEach(() => {
  document.body.innerHTML = '<div id="c"></div><p id="d"></p>';
  container = document.getElementById('c')!;
});

describe('the confidence of an answer, beside its labels', () => {
  it('is not shown at all when an older API gives no confidence field', () => {
    const { confidence: _, ...older } = prediction();
    renderChips(container, older as Prediction);
    expect(container.querySelector('[data-testid="confidence"]')).toBeNull();
    expect(container.querySelector('.chip.uncertain')).toBeNull();
  });

  it('says "High confidence" in words, with chips drawn as usual', () => {
    renderChips(container, prediction({ confidence: 'high' }));
    expect(container.querySelector('[data-testid="confidence"]')!.textContent).toBe('High confidence');
    expect(container.querySelector('[data-testid="label-chip"]')!.className).toBe('chip label-cardio');
  });

  it('says "Low confidence" and why, and draws the chips outlined (uncertain)', () => {
    renderChips(container, prediction({ confidence: 'low' }));
    expect(container.querySelector('[data-testid="confidence"]')!.textContent).toMatch(/^Low confidence — Uncertain:/);
    expect(container.querySelector('[data-testid="label-chip"]')!.classList.contains('uncertain')).toBe(true);
  });

  it('says "Out of scope" and "No medical evidence found" for out_of_scope', () => {
    renderChips(container, prediction({ confidence: 'out_of_scope' }));
    const text = container.querySelector('[data-testid="confidence"]')!.textContent!;
    expect(text).toMatch(/^Out of scope — No medical evidence found/);
    expect(container.querySelector('[data-testid="label-chip"]')!.classList.contains('uncertain')).toBe(true);
  });

  it('adds "Short text: less reliable" for a snippet, with or without a confidence', () => {
    renderChips(container, prediction({ kind: 'snippet' }));
    expect(container.querySelector('[data-testid="kind-note"]')!.textContent).toBe('Short text: less reliable');
    renderChips(container, prediction({ kind: 'snippet', confidence: 'high' }));
    expect(container.querySelector('[data-testid="kind-note"]')).not.toBeNull();
    renderChips(container, prediction({ kind: 'template' }));
    expect(container.querySelector('[data-testid="kind-note"]')).toBeNull();
  });
});

describe('evidence words', () => {
  const withEvidence = prediction({
    explanation: {
      cardio: {
        logit: 3,
        bias: -2,
        rest: 0,
        terms: [
          { text: 'chest', weight: 4.2, spans: [[0, 5]] },
          { text: 'pain', weight: 0.9, spans: [[6, 10]] },
          { text: 'the', weight: 0.8, spans: [[16, 19]] },
          { text: 'troponin', weight: 0.1, spans: [[20, 28]] },
        ],
      },
    },
  });

  it('mark only words above the scale, noise left out, with the level on the absolute scale', () => {
    renderEvidence(container, withEvidence, { title: '', abstract: withEvidence.input }, ['cardio']);
    const marks = Array.from(container.querySelectorAll('mark'));
    expect(marks.map((m) => [m.textContent, m.className])).toEqual([
      ['Chest', 'ev label-cardio up s3'],
      ['pain', 'ev label-cardio up s1'],
    ]);
  });

  it('are one Tab stop, moved through with the arrow keys, each showing its weights when focused', () => {
    const detail = document.getElementById('d')!;
    renderEvidence(container, withEvidence, { title: '', abstract: withEvidence.input }, ['cardio']);
    wireEvidenceKeys(container, detail);
    const marks = Array.from(container.querySelectorAll<HTMLElement>('mark'));
    expect(marks.map((m) => m.tabIndex)).toEqual([0, -1]);

    marks[0]!.focus();
    expect(detail.textContent).toBe('Chest: cardiovascular +4.200');
    marks[0]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    expect(document.activeElement).toBe(marks[1]);
    expect(detail.textContent).toBe('pain: cardiovascular +0.900');
    expect(marks.map((m) => m.tabIndex)).toEqual([-1, 0]);
    marks[1]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true }));
    expect(document.activeElement).toBe(marks[0]);
  });

  it('show their weights on a tap (click) too, not only on hover', () => {
    const detail = document.getElementById('d')!;
    renderEvidence(container, withEvidence, { title: '', abstract: withEvidence.input }, ['cardio']);
    wireEvidenceKeys(container, detail);
    container.querySelectorAll<HTMLElement>('mark')[1]!.click();
    expect(detail.textContent).toBe('pain: cardiovascular +0.900');
  });
});

describe('the CSV results table', () => {
  const rows: RowResult[] = [
    { line: 2, title: 'Beta', abstract: '', predicted: [0], truth: [0], proba: [0.9, 0, 0, 0], kind: 'real' },
    { line: 3, title: 'alpha', abstract: '', predicted: [3], truth: [2, 3], proba: [0, 0, 0.4, 0.8], kind: 'real' },
    { line: 4, title: 'Gamma', abstract: '', predicted: [1], truth: [1], proba: [0, 0.7, 0, 0], kind: 'snippet' },
    {
      line: 5,
      title: 'delta',
      abstract: '',
      predicted: [2],
      truth: [1],
      proba: [0, 0.3, 0.6, 0],
      kind: 'snippet',
      confidence: 'low',
    },
  ];

  it('puts wrong answers first, then the chosen order', () => {
    const view = tableView(rows, { ...INITIAL_STATE, wrongFirst: true });
    expect(view.rows.map((r) => r.line)).toEqual([3, 5, 2, 4]);
  });

  it('filters by label (predicted or true), kind and confidence', () => {
    expect(tableView(rows, { ...INITIAL_STATE, label: 'neuro' }).rows.map((r) => r.line)).toEqual([3, 5]);
    expect(tableView(rows, { ...INITIAL_STATE, kind: 'snippet' }).rows.map((r) => r.line)).toEqual([4, 5]);
    expect(tableView(rows, { ...INITIAL_STATE, confidence: 'low' }).rows.map((r) => r.line)).toEqual([5]);
  });

  it('sorts by title without regard to case, either way', () => {
    expect(tableView(rows, { ...INITIAL_STATE, sort: 'title' }).rows.map((r) => r.title)).toEqual([
      'alpha',
      'Beta',
      'delta',
      'Gamma',
    ]);
    expect(tableView(rows, { ...INITIAL_STATE, sort: 'top', descending: true }).rows[0]!.line).toBe(2);
  });

  it('shows at most the first rows, saying how many match', () => {
    expect(tableView(rows, INITIAL_STATE, 2)).toMatchObject({ matching: 4, rows: [{ line: 2 }, { line: 3 }] });
  });

  it('draws a True column and the wrong-first switch only for a labelled file, a Confidence column only when given', () => {
    renderResultsTable(container, rows);
    const heads = () => Array.from(container.querySelectorAll('th')).map((th) => th.textContent);
    expect(heads()).toEqual(['Line', 'Title', 'Predicted', 'True', 'Top probability', 'Kind', 'Confidence']);
    expect(container.querySelector<HTMLInputElement>('#wrong-first')!.checked).toBe(true);
    renderResultsTable(
      container,
      rows.map(({ truth: _, confidence: __, ...row }) => row),
    );
    expect(heads()).toEqual(['Line', 'Title', 'Predicted', 'Top probability', 'Kind']);
    expect(container.querySelector('#wrong-first')).toBeNull();
  });

  it('re-sorts when a column header is clicked, marking the column with aria-sort', () => {
    renderResultsTable(container, rows);
    const button = Array.from(container.querySelectorAll('th button')).find((b) => b.textContent === 'Title')!;
    (button as HTMLElement).click();
    const th = button.parentElement!;
    expect(th.getAttribute('aria-sort')).toBe('ascending');
    const firstTitles = Array.from(container.querySelectorAll('tbody tr td.title-cell')).map((td) => td.textContent);
    // Wrong answers first (lines 3 and 5), each group by title.
    expect(firstTitles).toEqual(['alpha', 'delta', 'Beta', 'Gamma']);
  });
});
