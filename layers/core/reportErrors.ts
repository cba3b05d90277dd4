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

/** One colour per label, `LABELS` order (Tableau 10: distinct, readable on white). */
export const LABEL_COLOURS = ['#e15759', '#59a14f', '#4e79a7', '#b07aa1'] as const;

export const ERRORS_STYLE = [
  '.error{border-top:1px solid #ddd;padding:.5rem 0}',
  '.error h3{font-size:1rem;margin:.5rem 0}',
  '.chip{display:inline-block;padding:0 .4rem;border-radius:.6rem;color:#fff;font-size:.85rem;margin-right:.25rem}',
  '.evidence-text{line-height:1.6}',
  '.evidence-line{font-family:ui-monospace,monospace;font-size:.8rem;color:#444}',
  'mark{color:inherit;border-radius:.2rem;padding:0 .1rem}',
  'mark.neg{background:transparent!important;text-decoration:underline wavy;text-decoration-thickness:1px}',
  ...LABELS.map(
    (_, l) =>
      `.chip.l${l}{background:${LABEL_COLOURS[l]}}mark.l${l}{background:${LABEL_COLOURS[l]}33;text-decoration-color:${LABEL_COLOURS[l]}}`,
  ),
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
  return [
    '<article class="error">',
    `<h3>Line ${row.line}: ${title}</h3>`,
    `<p>True: ${chips(row.truth)} Predicted: ${chips(row.predicted)} <span class="proba">(${proba}; largest error ${fixed3(row.error)})</span></p>`,
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
  return ['<h2>Errors to look at</h2>', intro, ...rows.map(errorRow)];
}
