import { LABELS } from './labels.ts';
import type { LabelScores, Metrics } from './metrics.ts';
import type { MisclassifiedRow } from './pipeline/misclassified.ts';
import { ERRORS_STYLE, esc, htmlErrorsToLookAt } from './reportErrors.ts';

/**
 * The evaluation report, as console text (`report.txt`) and as one self-contained HTML page (`report.html`).
 * Pure functions of their input: no clock, no durations, no randomness, so evaluating the same file twice gives
 * byte-identical reports (S3 redelivery and the CLI must agree), and no external resources, so the HTML opens
 * offline and from a private bucket.
 */

export interface ReportInput {
  source: string;
  model: { name: string; version: string; backend: string };
  rows: number;
  /** Per label, LABELS order. */
  predictedCounts: number[];
  /** Absent when the file has no `group` column. */
  metrics?: Metrics;
  /** Rows (and metrics, when labelled) per kind of text present in the file, in TEXT_KINDS order. */
  kinds: KindBreakdown[];
  /** Labelled files evaluated with evidence: the worst misclassified rows ("Errors to look at"). */
  misclassified?: MisclassifiedRow[];
  /** Lines with nothing but whitespace that were skipped (not rows); shown when there are any. */
  blankLines?: number;
}

export interface KindBreakdown {
  kind: string;
  rows: number;
  metrics?: Metrics;
}

const KIND_NOTES: Record<string, string> = {
  real: 'real abstracts',
  template: 'synthetic template texts',
  snippet: 'titles and one-liners',
};

const TITLE = 'Clinical abstract classifier report';
const AVERAGES = ['micro', 'macro', 'weighted', 'samples'] as const;

function fixed4(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : 'n/a';
}

function modelLine(model: ReportInput['model']): string {
  return `${model.name}@${model.version} (${model.backend})`;
}

// ---------------------------------------------------------------------------------------------- text

/** Control characters from a file name or message could break the layout or drive the terminal: show them. */
function plain(s: string): string {
  return s.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point: they are shown escaped.
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** First cell left-aligned, the rest right-aligned: label names on the left, numbers lined up on the right. */
function tableRow(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!)))
    .join('  ')
    .trimEnd();
}

function textMetrics(m: Metrics): string[] {
  const w = [16, 9, 9, 9, 9];
  const lines = [`Weighted F1: ${fixed4(m.weighted.f1)}`, ''];
  lines.push(tableRow(['Per label', 'precision', 'recall', 'f1', 'support'], w));
  for (const label of LABELS) {
    const s = m.per_label[label];
    lines.push(tableRow([label, fixed4(s.precision), fixed4(s.recall), fixed4(s.f1), String(s.support)], w));
  }
  lines.push('', tableRow(['Averages', 'precision', 'recall', 'f1'], w));
  for (const avg of AVERAGES) {
    const a = m[avg];
    lines.push(tableRow([avg, fixed4(a.precision), fixed4(a.recall), fixed4(a.f1)], w));
  }
  lines.push('', `Subset accuracy: ${fixed4(m.subset_accuracy)}`, `Hamming loss:    ${fixed4(m.hamming_loss)}`);
  lines.push('', 'Confusion matrices (rows: actual, columns: predicted)');
  const cw = [16, 13, 13];
  for (const label of LABELS) {
    const s = m.per_label[label];
    lines.push(
      '',
      tableRow([label, 'predicted yes', 'predicted no'], cw),
      tableRow(['  actual yes', String(s.tp), String(s.fn)], cw),
      tableRow(['  actual no', String(s.fp), String(s.tn)], cw),
    );
  }
  return lines;
}

function textCounts(input: ReportInput): string[] {
  const w = [16, 9, 9];
  const lines = ['Predicted label counts (no group column, so no metrics)', tableRow(['Label', 'rows', 'share'], w)];
  LABELS.forEach((label, i) => {
    const n = input.predictedCounts[i] ?? 0;
    lines.push(tableRow([label, String(n), fixed4(input.rows === 0 ? 0 : n / input.rows)], w));
  });
  return lines;
}

/** Rows by kind, with each kind's own figures when labelled: no average hides the kind users care about. */
function kindRows(input: ReportInput): string[][] {
  return input.kinds.map((k) => [
    `${k.kind} (${KIND_NOTES[k.kind] ?? k.kind})`,
    String(k.rows),
    ...(input.metrics
      ? [
          fixed4(k.metrics?.weighted.f1 ?? Number.NaN),
          fixed4(k.metrics?.micro.f1 ?? Number.NaN),
          fixed4(k.metrics?.subset_accuracy ?? Number.NaN),
        ]
      : []),
  ]);
}

const KIND_HEAD = ['Kind of text', 'rows', 'weighted F1', 'micro F1', 'subset acc.'];

function textKinds(input: ReportInput): string[] {
  if (input.kinds.length === 0) return [];
  const w = [34, 7, 11, 9, 11];
  const head = input.metrics ? KIND_HEAD : KIND_HEAD.slice(0, 2);
  return ['', 'By kind of text', tableRow(head, w), ...kindRows(input).map((r) => tableRow(r, w))];
}

export function renderTextReport(input: ReportInput): string {
  const lines = [
    TITLE,
    `Source: ${plain(input.source)}`,
    `Model:  ${plain(modelLine(input.model))}`,
    `Rows:   ${input.rows}`,
    ...(input.blankLines ? [`Blank lines skipped: ${input.blankLines}`] : []),
    '',
    ...(input.metrics ? textMetrics(input.metrics) : textCounts(input)),
    ...textKinds(input),
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------- HTML

/** SVG coordinates with one decimal: compact and stable across runs. */
function px(x: number): string {
  return String(Math.round(x * 10) / 10);
}

const SERIES = [
  { key: 'precision', colour: '#4e79a7' },
  { key: 'recall', colour: '#f28e2b' },
  { key: 'f1', colour: '#59a14f' },
] as const;

/** Precision, recall and F1 bars grouped by label, each bar topped with its value. */
function scoresChart(m: Metrics): string {
  const width = 640;
  const height = 290;
  const left = 40;
  const top = 44;
  const plotW = width - left - 10;
  const plotH = height - top - 40;
  const groupW = plotW / LABELS.length;
  const barW = 46;
  const parts: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + plotH * (1 - tick);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${px(y)}" y2="${px(y)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${px(y + 4)}" text-anchor="end">${tick.toFixed(2)}</text>`);
  }
  LABELS.forEach((label, g) => {
    const scores: LabelScores = m.per_label[label];
    const x0 = left + g * groupW + (groupW - barW * SERIES.length) / 2;
    SERIES.forEach((series, b) => {
      const v = scores[series.key];
      const h = plotH * Math.min(Math.max(v, 0), 1);
      const x = x0 + b * barW;
      parts.push(
        `<rect x="${px(x + 2)}" y="${px(top + plotH - h)}" width="${barW - 4}" height="${px(h)}" fill="${series.colour}">` +
          `<title>${esc(label)} ${series.key}: ${fixed4(v)}</title></rect>`,
        `<text x="${px(x + barW / 2)}" y="${px(top + plotH - h - 4)}" text-anchor="middle" class="value">${fixed4(v)}</text>`,
      );
    });
    parts.push(
      `<text x="${px(left + g * groupW + groupW / 2)}" y="${height - 18}" text-anchor="middle">${esc(label)}</text>`,
    );
  });
  SERIES.forEach((series, i) => {
    const x = left + i * 100;
    parts.push(`<rect x="${x}" y="6" width="12" height="12" fill="${series.colour}"/>`);
    parts.push(`<text x="${x + 16}" y="16">${series.key}</text>`);
  });
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Precision, recall and F1 per label">${parts.join('')}</svg>`;
}

/** A 2×2 matrix: rows actual yes/no, columns predicted yes/no; shade grows with the share of rows in the cell. */
function confusionMatrix(label: string, s: LabelScores, rows: number): string {
  const cell = 96;
  const left = 90;
  const top = 44;
  const cells = [
    { r: 0, c: 0, n: s.tp, what: 'true positives', right: true },
    { r: 0, c: 1, n: s.fn, what: 'false negatives', right: false },
    { r: 1, c: 0, n: s.fp, what: 'false positives', right: false },
    { r: 1, c: 1, n: s.tn, what: 'true negatives', right: true },
  ];
  const parts = [
    `<text x="${left + cell}" y="14" text-anchor="middle" class="caption">${esc(label)}</text>`,
    `<text x="${left + cell / 2}" y="36" text-anchor="middle">predicted yes</text>`,
    `<text x="${left + cell * 1.5}" y="36" text-anchor="middle">predicted no</text>`,
    `<text x="${left - 8}" y="${top + cell / 2 + 4}" text-anchor="end">actual yes</text>`,
    `<text x="${left - 8}" y="${top + cell * 1.5 + 4}" text-anchor="end">actual no</text>`,
  ];
  for (const c of cells) {
    const share = rows === 0 ? 0 : c.n / rows;
    const opacity = 0.08 + 0.92 * share;
    const x = left + c.c * cell;
    const y = top + c.r * cell;
    parts.push(
      `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${c.right ? '#4e79a7' : '#e15759'}" fill-opacity="${opacity.toFixed(2)}" stroke="#fff">` +
        `<title>${c.what}: ${c.n}</title></rect>`,
      `<text x="${x + cell / 2}" y="${y + cell / 2 + 5}" text-anchor="middle" class="count" fill="${opacity > 0.55 ? '#fff' : '#222'}">${c.n}</text>`,
    );
  }
  const w = left + 2 * cell + 4;
  const h = top + 2 * cell + 4;
  return `<svg viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="Confusion matrix for ${esc(label)}">${parts.join('')}</svg>`;
}

/** Horizontal bars of how many rows got each label, for files without a `group` column. */
function countsChart(counts: readonly number[]): string {
  const left = 120;
  const barMax = 400;
  const rowH = 30;
  const max = Math.max(1, ...counts);
  const parts: string[] = [];
  LABELS.forEach((label, i) => {
    const n = counts[i] ?? 0;
    const w = (barMax * n) / max;
    const y = 10 + i * rowH;
    parts.push(
      `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(label)}</text>`,
      `<rect x="${left}" y="${y}" width="${px(w)}" height="20" fill="#4e79a7"><title>${esc(label)}: ${n}</title></rect>`,
      `<text x="${px(left + w + 6)}" y="${y + 15}" class="value">${n}</text>`,
    );
  });
  const width = left + barMax + 70;
  const height = 20 + LABELS.length * rowH;
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Predicted label counts">${parts.join('')}</svg>`;
}

function htmlTable(head: readonly string[], body: readonly (readonly string[])[], className = 'numbers'): string {
  const th = head.map((h) => `<th>${esc(h)}</th>`).join('');
  const trs = body.map(
    (r) => `<tr>${r.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`,
  );
  return `<table class="${className}"><thead><tr>${th}</tr></thead><tbody>${trs.join('')}</tbody></table>`;
}

function htmlMetrics(m: Metrics): string[] {
  const perLabel = LABELS.map((l) => {
    const s = m.per_label[l];
    return [l, fixed4(s.precision), fixed4(s.recall), fixed4(s.f1), String(s.support)];
  });
  const averages = AVERAGES.map((a) => [a, fixed4(m[a].precision), fixed4(m[a].recall), fixed4(m[a].f1)]);
  return [
    `<p class="headline">Weighted F1 <strong>${fixed4(m.weighted.f1)}</strong></p>`,
    '<h2>Per label</h2>',
    scoresChart(m),
    htmlTable(['label', 'precision', 'recall', 'f1', 'support'], perLabel),
    '<h2>Averages</h2>',
    htmlTable(['average', 'precision', 'recall', 'f1'], averages),
    htmlTable(
      ['measure', 'value'],
      [
        ['subset accuracy', fixed4(m.subset_accuracy)],
        ['Hamming loss', fixed4(m.hamming_loss)],
      ],
    ),
    '<h2>Confusion matrices</h2>',
    `<div class="matrices">${LABELS.map((l) => confusionMatrix(l, m.per_label[l], m.n_rows)).join('')}</div>`,
  ];
}

function htmlCounts(input: ReportInput): string[] {
  const body = LABELS.map((l, i) => {
    const n = input.predictedCounts[i] ?? 0;
    return [l, String(n), fixed4(input.rows === 0 ? 0 : n / input.rows)];
  });
  return [
    '<h2>Predicted label counts</h2>',
    '<p>The file has no group column, so there are no metrics.</p>',
    countsChart(input.predictedCounts),
    htmlTable(['label', 'rows', 'share'], body),
  ];
}

const STYLE = [
  'body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:60rem}',
  'table{border-collapse:collapse;margin:1rem 0}',
  'th,td{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}',
  '.numbers td,.numbers thead th+th{text-align:right}',
  '.headline{font-size:1.5rem}',
  '.matrices{display:flex;flex-wrap:wrap;gap:1rem}',
  'svg{font-size:12px;display:block;margin:1rem 0}',
  'svg .grid{stroke:#ddd}',
  'svg .value{font-size:9px}',
  'svg .caption{font-weight:bold}',
  'svg .count{font-size:16px}',
  'dl{display:grid;grid-template-columns:max-content auto;gap:.25rem 1rem}',
  'dt{font-weight:bold}',
  'dd{margin:0}',
  ERRORS_STYLE,
].join('');

function errorsSection(m: Metrics, rows: readonly MisclassifiedRow[]): string[] {
  const total = Math.round(m.n_rows * (1 - m.subset_accuracy));
  return htmlErrorsToLookAt(
    rows,
    total,
    rows.some((r) => r.evidence !== undefined),
  );
}

export function renderHtmlReport(input: ReportInput): string {
  const body = [
    `<h1>${TITLE}</h1>`,
    '<dl>',
    `<dt>Source</dt><dd>${esc(input.source)}</dd>`,
    `<dt>Model</dt><dd>${esc(modelLine(input.model))}</dd>`,
    `<dt>Rows</dt><dd>${input.rows}</dd>`,
    ...(input.blankLines ? [`<dt>Blank lines skipped</dt><dd>${input.blankLines}</dd>`] : []),
    '</dl>',
    ...(input.metrics ? htmlMetrics(input.metrics) : htmlCounts(input)),
    ...(input.kinds.length > 0
      ? ['<h2>By kind of text</h2>', htmlTable(input.metrics ? KIND_HEAD : KIND_HEAD.slice(0, 2), kindRows(input))]
      : []),
    ...(input.metrics && input.misclassified ? errorsSection(input.metrics, input.misclassified) : []),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${TITLE}: ${esc(input.source)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...body,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
