import { TEXT_KINDS } from '#model/router.ts';
import { formatEvidence } from './explanation.ts';
import { LABELS, SHORT_NAMES } from './labels.ts';
import type { MisclassifiedRow } from './pipeline/misclassified.ts';

/**
 * The report's "Errors to look at": misclassified rows, worst first, with the words behind their labels
 * highlighted in each label's colour (hover: the weight). Every piece of user text goes through `esc`.
 */

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Label colours come from the one palette (palette.ts): report.ts sets its custom properties on `.l<index>`
 * (`--c` ink, `--t2` tint), the same colours the page uses. The filters are radio buttons read by CSS `:has()`
 * rules: no script, so they work offline, from a private bucket and under any Content-Security-Policy.
 */
export const ERRORS_STYLE = [
  '.error{border-top:1px solid #ddd;padding:.5rem 0}',
  '.error h3{font-size:1rem;margin:.5rem 0;overflow-wrap:anywhere}',
  '.chip{display:inline-block;padding:0 .4rem;border-radius:.6rem;color:#fff;background:var(--c);font-size:.85rem;margin-right:.25rem}',
  '.evidence-text{line-height:1.6;overflow-wrap:anywhere}',
  '.evidence-line{font-family:ui-monospace,monospace;font-size:.8rem;color:#444;overflow-wrap:anywhere}',
  'mark{color:inherit;border-radius:.2rem;padding:0 .1rem;background:var(--t2)}',
  'mark.neg{background:transparent;text-decoration:underline wavy;text-decoration-thickness:1px;text-decoration-color:var(--c)}',
  '.filters{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.5rem 0 1rem}',
  '.filters fieldset{border:0;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center}',
  '.filters legend{float:left;font-weight:bold;margin-right:.25rem}',
  '.filters label{white-space:nowrap}',
  ...LABELS.map((_, l) => `body:has(#f-label-${l}:checked) .error:not(.has-l${l}){display:none}`),
  ...TEXT_KINDS.map((k) => `body:has(#f-kind-${k}:checked) .error:not(.kind-${k}){display:none}`),
].join('');

const fixed3 = (x: number): string => x.toFixed(3);
const chips = (labels: readonly number[]): string =>
  labels.map((l) => `<span class="chip l${l}">${LABELS[l]}</span>`).join('');

interface Mark {
  start: number;
  end: number;
  /** Label and weight of each label this word is evidence for, strongest first. */
  by: { label: number; weight: number }[];
}

function marksOf(row: MisclassifiedRow): Mark[] {
  const bySpan = new Map<string, Mark>();
  for (const { label, terms } of row.evidence ?? []) {
    for (const term of terms) {
      for (const [start, end] of term.spans) {
        const key = `${start}:${end}`;
        let mark = bySpan.get(key);
        if (!mark) {
          mark = { start, end, by: [] };
          bySpan.set(key, mark);
        }
        mark.by.push({ label, weight: term.weight });
      }
    }
  }
  const marks = [...bySpan.values()].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const m of marks) m.by.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight) || a.label - b.label);
  return marks;
}

/** `text[from, to)` with the marks inside it; overlapping marks (possible only in coarse offset maps) keep the first. */
function highlighted(text: string, from: number, to: number, marks: readonly Mark[]): string {
  const out: string[] = [];
  let at = from;
  for (const m of marks) {
    if (m.start < at || m.end > to) continue;
    const top = m.by[0]!;
    const hover = m.by
      .map((b) => `${SHORT_NAMES[b.label]} ${b.weight < 0 ? '-' : '+'}${Math.abs(b.weight).toFixed(2)}`)
      .join('; ');
    out.push(
      esc(text.slice(at, m.start)),
      `<mark class="l${top.label}${top.weight < 0 ? ' neg' : ''}" title="${esc(hover)}">${esc(text.slice(m.start, m.end))}</mark>`,
    );
    at = m.end;
  }
  out.push(esc(text.slice(at, to)));
  return out.join('');
}

function errorRow(row: MisclassifiedRow): string {
  const marks = marksOf(row);
  // Spans point into `text` (title + " " + abstract, trimmed): the abstract is its tail.
  const abstractStart =
    row.abstract.trim() === '' ? row.text.length : Math.max(0, row.text.length - row.abstract.trimEnd().length);
  const title = abstractStart > 0 ? highlighted(row.text, 0, abstractStart, marks) : '<em>(no title)</em>';
  const proba = LABELS.map((_, l) => `${SHORT_NAMES[l]} ${fixed3(row.proba[l]!)}`).join(' · ');
  const involved = LABELS.map((_, l) => l).filter((l) => row.truth.includes(l) || row.predicted.includes(l));
  const classes = ['error', ...involved.map((l) => `has-l${l}`), ...(row.kind ? [`kind-${row.kind}`] : [])];
  return [
    `<article class="${classes.join(' ')}">`,
    `<h3>Line ${row.line}: ${title}</h3>`,
    `<p>True: ${chips(row.truth)} Predicted: ${chips(row.predicted)}${row.kind ? ` <span class="kind">(${row.kind})</span>` : ''} <span class="proba">(${proba}; largest error ${fixed3(row.error)})</span></p>`,
    `<p class="evidence-text">${highlighted(row.text, abstractStart, row.text.length, marks)}</p>`,
    ...(row.evidence ? [`<p class="evidence-line">${esc(formatEvidence(row.evidence))}</p>`] : []),
    '</article>',
  ].join('');
}

/** The section; `misclassifiedTotal` is how many rows the file got wrong (the section lists at most 50). */
export function htmlErrorsToLookAt(
  rows: readonly MisclassifiedRow[],
  misclassifiedTotal: number,
  explained: boolean,
): string[] {
  const intro =
    rows.length === 0
      ? '<p>No row is misclassified.</p>'
      : `<p>The ${rows.length === misclassifiedTotal ? rows.length : `${rows.length} worst of ${misclassifiedTotal}`} misclassified row${misclassifiedTotal === 1 ? '' : 's'}, ` +
        'worst first (largest probability error on any one label). ' +
        (explained
          ? `Highlighted: the strongest words for each true or predicted label, in the label's colour (${LABELS.map((l, i) => `<span class="chip l${i}">${l}</span>`).join('')}); ` +
            'underlined words push the label down; hover a word for its weights.</p>'
          : "This model's backend does not explain its predictions, so no words are highlighted.</p>");
  return ['<h2>Errors to look at</h2>', intro, ...(rows.length > 1 ? [filters(rows)] : []), ...rows.map(errorRow)];
}

/** Radio buttons that show only the rows involving one label, or of one kind of text (CSS rules above). */
function filters(rows: readonly MisclassifiedRow[]): string {
  const group = (name: string, legend: string, options: readonly [string, string][]): string =>
    `<fieldset><legend>${legend}</legend>${options
      .map(
        ([value, text], i) =>
          `<label><input type="radio" name="f-${name}" id="f-${name}-${value}"${i === 0 ? ' checked' : ''}> ${esc(text)}</label>`,
      )
      .join('')}</fieldset>`;
  const kinds = TEXT_KINDS.filter((k) => rows.some((r) => r.kind === k));
  return `<div class="filters" role="group" aria-label="Show only some of these rows">${group('label', 'Label', [
    ['all', 'all'],
    ...LABELS.map((l, i): [string, string] => [String(i), l]),
  ])}${kinds.length > 1 ? group('kind', 'Kind', [['all', 'all'], ...kinds.map((k): [string, string] => [k, k])]) : ''}</div>`;
}
