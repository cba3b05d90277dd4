/// <reference lib="dom" />

import { CONFIDENCE_LEVELS as CONFIDENCES, type Confidence } from '#core/confidence.ts';
import { TEXT_KINDS } from '#model/router.ts';
import { confidenceText } from './confidence.ts';
import type { RowResult } from './csvBatch.ts';
import { fullName, labelClass, SHORT_NAMES, type ShortName } from './labelStyle.ts';
import { el } from './render.ts';

/**
 * The CSV results table: the first rows of the classified file, sortable by column, filtered by label (predicted
 * or true), kind, confidence (when the API gives it) and, for a labelled file, with wrong answers first.
 * `tableView` decides what is shown (pure, tested); `renderResultsTable` draws it.
 */
export type SortKey = 'line' | 'title' | 'predicted' | 'truth' | 'top' | 'kind' | 'confidence';

export interface TableState {
  sort: SortKey;
  descending: boolean;
  label: 'all' | ShortName;
  kind: 'all' | string;
  confidence: 'all' | Confidence;
  wrongFirst: boolean;
}

export const INITIAL_STATE: TableState = {
  sort: 'line',
  descending: false,
  label: 'all',
  kind: 'all',
  confidence: 'all',
  wrongFirst: false,
};

/** Rows the table shows first, and how many more each "Show more" adds; the downloads hold every row. */
export const SHOWN_ROWS = 25;
export const MORE_ROWS = 100;

const sameSet = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
export const isWrong = (row: RowResult): boolean => row.truth !== undefined && !sameSet(row.truth, row.predicted);
const setKey = (labels: readonly number[]) => labels.map((l) => SHORT_NAMES[l]).join('|');

function compare(a: RowResult, b: RowResult, key: SortKey): number {
  switch (key) {
    case 'line':
      return a.line - b.line;
    case 'title':
      return a.title.localeCompare(b.title, 'en', { sensitivity: 'base' });
    case 'predicted':
      return setKey(a.predicted).localeCompare(setKey(b.predicted));
    case 'truth':
      return setKey(a.truth ?? []).localeCompare(setKey(b.truth ?? []));
    case 'top':
      return Math.max(...a.proba) - Math.max(...b.proba);
    case 'kind':
      return TEXT_KINDS.indexOf(a.kind as never) - TEXT_KINDS.indexOf(b.kind as never);
    case 'confidence':
      return CONFIDENCES.indexOf(a.confidence ?? 'high') - CONFIDENCES.indexOf(b.confidence ?? 'high');
  }
}

export function tableView(
  rows: readonly RowResult[],
  state: TableState,
  limit = SHOWN_ROWS,
): { rows: RowResult[]; matching: number } {
  const label = state.label === 'all' ? -1 : SHORT_NAMES.indexOf(state.label);
  const kept = rows.filter(
    (r) =>
      (label < 0 || r.predicted.includes(label) || (r.truth?.includes(label) ?? false)) &&
      (state.kind === 'all' || r.kind === state.kind) &&
      (state.confidence === 'all' || r.confidence === state.confidence),
  );
  const direction = state.descending ? -1 : 1;
  kept.sort(
    (a, b) =>
      (state.wrongFirst ? Number(isWrong(b)) - Number(isWrong(a)) : 0) ||
      direction * compare(a, b, state.sort) ||
      a.line - b.line,
  );
  return { rows: kept.slice(0, limit), matching: kept.length };
}

const chips = (labels: readonly number[]): Node[] =>
  labels.length === 0
    ? [document.createTextNode('—')]
    : labels.map((l) =>
        el('span', {
          className: `chip small ${labelClass(SHORT_NAMES[l]!)}`,
          text: SHORT_NAMES[l]!,
          attrs: { title: fullName(SHORT_NAMES[l]!) },
        }),
      );

function select(
  id: string,
  text: string,
  options: readonly [string, string][],
  onChange: (value: string) => void,
): HTMLElement {
  const input = el(
    'select',
    { attrs: { id } },
    options.map(([value, name]) => el('option', { text: name, attrs: { value } })),
  );
  input.addEventListener('change', () => onChange(input.value));
  return el('div', { className: 'table-control' }, [el('label', { text, attrs: { for: id } }), input]);
}

/** Draws the controls and the table into `container`; changing a control redraws the rows. */
export function renderResultsTable(container: HTMLElement, rows: readonly RowResult[]): void {
  const labelled = rows.some((r) => r.truth !== undefined);
  const withConfidence = rows.some((r) => r.confidence !== undefined);
  const kinds = TEXT_KINDS.filter((k) => rows.some((r) => r.kind === k));
  const state: TableState = { ...INITIAL_STATE, wrongFirst: labelled };
  const columns: { key: SortKey; name: string }[] = [
    { key: 'line', name: 'Line' },
    { key: 'title', name: 'Title' },
    { key: 'predicted', name: 'Predicted' },
    ...(labelled ? [{ key: 'truth' as const, name: 'True' }] : []),
    { key: 'top', name: 'Top probability' },
    { key: 'kind', name: 'Kind' },
    ...(withConfidence ? [{ key: 'confidence' as const, name: 'Confidence' }] : []),
  ];
  const caption = el('caption', {});
  const tbody = el('tbody', {});
  let limit = SHOWN_ROWS;
  const more = el('button', { className: 'secondary small more-rows', attrs: { type: 'button' } });
  more.addEventListener('click', () => {
    limit += MORE_ROWS;
    draw();
  });
  const headers = columns.map((column) => {
    const button = el('button', { className: 'sort', text: column.name, attrs: { type: 'button' } });
    button.addEventListener('click', () => {
      state.descending = state.sort === column.key ? !state.descending : column.key === 'top';
      state.sort = column.key;
      limit = SHOWN_ROWS;
      draw();
    });
    return el('th', { attrs: { scope: 'col', 'data-key': column.key } }, [button]);
  });

  function draw(): void {
    const view = tableView(rows, state, limit);
    more.hidden = view.rows.length >= view.matching;
    more.textContent = `Show ${Math.min(MORE_ROWS, view.matching - view.rows.length)} more rows`;
    caption.textContent =
      view.matching === rows.length
        ? `Showing ${view.rows.length} of ${rows.length.toLocaleString('en')} rows`
        : `Showing ${view.rows.length} of the ${view.matching.toLocaleString('en')} rows that match (${rows.length.toLocaleString('en')} in the file)`;
    for (const th of headers) {
      const key = th.getAttribute('data-key');
      th.setAttribute('aria-sort', key === state.sort ? (state.descending ? 'descending' : 'ascending') : 'none');
    }
    tbody.replaceChildren(
      ...view.rows.map((row) =>
        el('tr', { className: isWrong(row) ? 'wrong' : '' }, [
          el('td', { className: 'num', text: String(row.line) }),
          el('td', {
            className: 'title-cell',
            text: row.title || row.abstract.slice(0, 80),
            attrs: { title: row.abstract.slice(0, 400) },
          }),
          el('td', {}, chips(row.predicted)),
          ...(labelled
            ? [
                el('td', {}, [
                  ...chips(row.truth ?? []),
                  ...(isWrong(row) ? [el('span', { className: 'wrong-mark', text: ' ✗ wrong' })] : []),
                ]),
              ]
            : []),
          el('td', { className: 'num', text: Math.max(...row.proba).toFixed(3) }),
          el('td', { text: row.kind }),
          ...(withConfidence ? [el('td', { text: row.confidence ? confidenceText(row.confidence) : '' })] : []),
        ]),
      ),
    );
  }

  const controls = el('div', { className: 'table-controls' }, [
    select(
      'filter-label',
      'Label',
      [['all', 'all'], ...SHORT_NAMES.map((s): [string, string] => [s, fullName(s)])],
      (v) => {
        state.label = v as TableState['label'];
        draw();
      },
    ),
    ...(kinds.length > 1
      ? [
          select('filter-kind', 'Kind', [['all', 'all'], ...kinds.map((k): [string, string] => [k, k])], (v) => {
            state.kind = v;
            draw();
          }),
        ]
      : []),
    ...(withConfidence
      ? [
          select(
            'filter-confidence',
            'Confidence',
            [['all', 'all'], ...CONFIDENCES.map((c): [string, string] => [c, confidenceText(c)])],
            (v) => {
              state.confidence = v as TableState['confidence'];
              draw();
            },
          ),
        ]
      : []),
    ...(labelled ? [wrongFirstToggle()] : []),
  ]);

  function wrongFirstToggle(): HTMLElement {
    const box = el('input', { attrs: { type: 'checkbox', id: 'wrong-first' } });
    box.checked = state.wrongFirst;
    box.addEventListener('change', () => {
      state.wrongFirst = box.checked;
      draw();
    });
    return el('div', { className: 'table-control check' }, [
      box,
      el('label', { text: 'Wrong answers first', attrs: { for: 'wrong-first' } }),
    ]);
  }

  draw();
  container.replaceChildren(
    controls,
    el('div', { className: 'table-scroll', attrs: { tabindex: '0', role: 'region', 'aria-label': 'Results table' } }, [
      el('table', { className: 'results', attrs: { 'data-testid': 'results-table' } }, [
        caption,
        el('thead', {}, [el('tr', {}, headers)]),
        tbody,
      ]),
    ]),
    more,
  );
}
