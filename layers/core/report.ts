import { CONFIDENCE_LEVELS, type Confidence, type OutOfScopeRow } from './confidence.ts';
import { type InSampleCheck, messageBody } from './inSample.ts';
import type { LabelSetRow } from './labelSets.ts';
import { formatLabelSet, LABELS, SHORT_NAMES } from './labels.ts';
import type { LabelScores, Metrics } from './metrics.ts';
import { PALETTE, paletteCss } from './palette.ts';
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
  /** Whether the file is (mostly) the model's training data; its message leads both reports when there is one. */
  inSample?: InSampleCheck;
  /** Labelled files: which true label sets were predicted as which. */
  labelSets?: LabelSetRow[];
  /** Rows per confidence level (layers/core/confidence.ts); absent for summaries that did not count them. */
  confidence?: Record<Confidence, number>;
  /** The first rows out of scope, by line. */
  outOfScope?: OutOfScopeRow[];
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

const CONFIDENCE_NOTES: Record<Confidence, string> = {
  high: 'a label passes its threshold with a high probability',
  low: 'evidence, but an uncertain answer',
  out_of_scope: 'no medical evidence: the label shown is only the fallback',
};

function confidenceRows(counts: Record<Confidence, number>, rows: number): string[][] {
  return CONFIDENCE_LEVELS.map((level) => [
    `${level} (${CONFIDENCE_NOTES[level]})`,
    String(counts[level]),
    fixed4(rows === 0 ? 0 : counts[level] / rows),
  ]);
}

const outOfScopeNote = (input: ReportInput): string => {
  const n = input.confidence?.out_of_scope ?? 0;
  const listed = input.outOfScope?.length ?? 0;
  return `${n} row${n === 1 ? '' : 's'} with no medical evidence${listed < n ? ` (the first ${listed} by line below)` : ''}`;
};

function textConfidence(input: ReportInput): string[] {
  if (!input.confidence) return [];
  const w = [76, 7, 9];
  const lines = ['', 'Confidence', tableRow(['Level', 'rows', 'share'], w)];
  lines.push(...confidenceRows(input.confidence, input.rows).map((r) => tableRow(r, w)));
  if (input.confidence.out_of_scope > 0) {
    lines.push('', `Out of scope: ${outOfScopeNote(input)}`);
    for (const row of input.outOfScope ?? []) lines.push(`  line ${row.line}: ${plain(row.title) || '(no title)'}`);
  }
  return lines;
}

function htmlConfidence(input: ReportInput): string[] {
  if (!input.confidence) return [];
  const out = [
    '<h2>Confidence</h2>',
    htmlTable(['level', 'rows', 'share'], confidenceRows(input.confidence, input.rows)),
  ];
  if (input.confidence.out_of_scope > 0 && input.outOfScope) {
    out.push(
      `<h3>Out of scope</h3><p>${esc(outOfScopeNote(input))}. Their label is the fallback rule's (the most probable of four low probabilities): it means nothing.</p>`,
      htmlTable(
        ['line', 'title', 'fallback label'],
        input.outOfScope.map((r) => [String(r.line), r.title, `${LABELS[r.label]} ${r.proba.toFixed(3)}`]),
        'rows',
      ),
    );
  }
  return out;
}

function textKinds(input: ReportInput): string[] {
  if (input.kinds.length === 0) return [];
  const w = [34, 7, 11, 9, 11];
  const head = input.metrics ? KIND_HEAD : KIND_HEAD.slice(0, 2);
  return ['', 'By kind of text', tableRow(head, w), ...kindRows(input).map((r) => tableRow(r, w))];
}

const setName = (labels: readonly number[]): string => (labels.length === 0 ? '(none)' : formatLabelSet(labels));

/** "cardiovascular|oncological → oncological 12, (none) 1": the true sets and what they were predicted as. */
function textLabelSets(rows: readonly LabelSetRow[] | undefined): string[] {
  if (!rows || rows.length === 0) return [];
  const width = Math.max(14, ...rows.map((r) => setName(r.truth).length));
  const w = [width, 6, 7];
  return [
    '',
    'Label sets (rows: true set; exact: predicted exactly; then what the other rows were predicted as)',
    tableRow(['True labels', 'rows', 'exact'], w),
    ...rows.map((r) => {
      const other = r.predicted.map((p) => `${setName(p.labels)} ${p.rows}`).join(', ');
      return `${tableRow([setName(r.truth), String(r.rows), String(r.exact)], w)}${other ? `  → ${other}` : ''}`;
    }),
  ];
}

function textInSample(check: InSampleCheck | undefined): string[] {
  return check?.message ? [`${check.inSample ? 'WARNING: ' : 'Note: '}${check.message}`, ''] : [];
}

export function renderTextReport(input: ReportInput): string {
  const lines = [
    TITLE,
    `Source: ${plain(input.source)}`,
    `Model:  ${plain(modelLine(input.model))}`,
    `Rows:   ${input.rows}`,
    ...(input.blankLines ? [`Blank lines skipped: ${input.blankLines}`] : []),
    '',
    ...textInSample(input.inSample),
    ...(input.metrics ? textMetrics(input.metrics) : textCounts(input)),
    ...textLabelSets(input.metrics ? input.labelSets : undefined),
    ...textKinds(input),
    ...textConfidence(input),
  ];
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------- HTML

/** SVG coordinates with one decimal: compact and stable across runs. */
function px(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** Precision, recall and F1: one marker shape each, so the series read without colour. */
const SERIES = [
  { key: 'precision', shape: 'circle' },
  { key: 'recall', shape: 'square' },
  { key: 'f1', shape: 'diamond' },
] as const;

function marker(shape: (typeof SERIES)[number]['shape'], x: number, y: number, fill: string, title: string): string {
  const r = 6;
  const body =
    shape === 'circle'
      ? `<circle cx="${px(x)}" cy="${px(y)}" r="${r}"`
      : shape === 'square'
        ? `<rect x="${px(x - r + 1)}" y="${px(y - r + 1)}" width="${2 * r - 2}" height="${2 * r - 2}"`
        : `<path d="M${px(x)} ${px(y - r - 1)}L${px(x + r + 1)} ${px(y)}L${px(x)} ${px(y + r + 1)}L${px(x - r - 1)} ${px(y)}Z"`;
  return `${body} fill="${fill}" stroke="#fff" stroke-width="1.5"><title>${esc(title)}</title>${shape === 'circle' ? '</circle>' : shape === 'square' ? '</rect>' : '</path>'}`;
}

/**
 * The axis the dot plot uses: from a round value below the lowest score to 1, so that scores between 0.96 and 1.00
 * spread over the plot instead of sharing its last 4 %. Step 0.01, 0.05 or 0.1 by the range to cover.
 */
export function zoomedAxis(values: readonly number[]): { from: number; step: number } {
  const low = Math.min(1, ...values.filter(Number.isFinite));
  const step = 1 - low <= 0.08 ? 0.01 : 1 - low <= 0.4 ? 0.05 : 0.1;
  const from = Math.max(0, Math.floor((low - step / 2) / step) * step);
  return { from: Math.round(from * 100) / 100, step };
}

/** Precision, recall and F1 per label as dots on a zoomed axis, the axis range printed above it. */
function scoresChart(m: Metrics): string {
  const scores = LABELS.flatMap((l) => SERIES.map((s) => m.per_label[l][s.key]));
  const { from, step } = zoomedAxis(scores);
  const width = 520;
  const left = 110;
  const right = 24;
  const top = 52;
  const rowH = 34;
  const plotW = width - left - right;
  const height = top + rowH * LABELS.length + 30;
  const x = (v: number) => left + (plotW * (Math.min(Math.max(v, from), 1) - from)) / (1 - from);
  const parts: string[] = [];
  const ticks = Math.round((1 - from) / step);
  const every = Math.ceil(ticks / 10);
  for (let t = 0; t <= ticks; t++) {
    const v = from + t * step;
    const tx = x(v);
    parts.push(`<line x1="${px(tx)}" x2="${px(tx)}" y1="${top - 6}" y2="${top + rowH * LABELS.length}" class="grid"/>`);
    if (t % every === 0 || t === ticks)
      parts.push(`<text x="${px(tx)}" y="${height - 10}" text-anchor="middle">${v.toFixed(2)}</text>`);
  }
  LABELS.forEach((label, i) => {
    const y = top + rowH * i + rowH / 2;
    const colour = PALETTE[SHORT_NAMES[i]!].base;
    parts.push(
      `<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" class="row"/>`,
      `<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(label)}</text>`,
    );
    for (const series of SERIES) {
      const v = m.per_label[label][series.key];
      parts.push(marker(series.shape, x(v), y, colour, `${label} ${series.key}: ${fixed4(v)}`));
    }
  });
  SERIES.forEach((series, i) => {
    parts.push(
      marker(series.shape, left + i * 100 + 6, 14, '#444', series.key),
      `<text x="${left + i * 100 + 18}" y="18">${series.key}</text>`,
    );
  });
  parts.push(
    `<text x="${left}" y="38" class="axis-note">axis ${from.toFixed(2)} to 1.00${from > 0 ? ' (zoomed: 0 is off the left edge)' : ''}</text>`,
  );
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Precision, recall and F1 per label, on an axis from ${from.toFixed(2)} to 1">${parts.join('')}</svg>`;
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
      `<rect x="${left}" y="${y}" width="${px(w)}" height="20" fill="${PALETTE[SHORT_NAMES[i]!].base}"><title>${esc(label)}: ${n}</title></rect>`,
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
  // A table wider than a phone scrolls inside its box; the page itself never scrolls sideways.
  return `<div class="scroll"><table class="${className}"><thead><tr>${th}</tr></thead><tbody>${trs.join('')}</tbody></table></div>`;
}

const htmlSet = (labels: readonly number[]): string =>
  labels.length === 0
    ? '<em>none</em>'
    : labels.map((l) => `<span class="chip l${l}">${esc(SHORT_NAMES[l]!)}</span>`).join('');

/** Which true label sets were predicted as which (labelled files). */
function htmlLabelSets(rows: readonly LabelSetRow[] | undefined): string[] {
  if (!rows || rows.length === 0) return [];
  const body = rows.map((r) => {
    const other = r.predicted.map((p) => `<li>${htmlSet(p.labels)} ${p.rows}</li>`).join('');
    return `<tr><th>${htmlSet(r.truth)}</th><td>${r.rows}</td><td>${r.exact}</td><td class="sets">${other ? `<ul>${other}</ul>` : '—'}</td></tr>`;
  });
  return [
    '<h2>Label sets</h2>',
    '<p>Each true label set, how many of its rows were predicted exactly, and what the others were predicted as.</p>',
    `<div class="scroll"><table class="numbers label-sets"><thead><tr><th>true labels</th><th>rows</th><th>exact</th><th>predicted instead</th></tr></thead><tbody>${body.join('')}</tbody></table></div>`,
  ];
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
  'body{font-family:system-ui,sans-serif;margin:2rem;color:#1d2433;max-width:60rem;line-height:1.45}',
  'table{border-collapse:collapse;margin:1rem 0}',
  'th,td{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left}',
  '.numbers td,.numbers thead th+th{text-align:right;font-variant-numeric:tabular-nums}',
  '.scroll{max-width:100%;overflow-x:auto}',
  '.headline{font-size:1.5rem}',
  '.matrices{display:flex;flex-wrap:wrap;gap:1rem}',
  'svg{font-size:12px;display:block;margin:1rem 0;max-width:100%;height:auto}',
  'svg .grid{stroke:#e3e6ec}',
  'svg .row{stroke:#c9ced8;stroke-dasharray:2 3}',
  'svg .value{font-size:9px}',
  'svg .axis-note{fill:#5b6577}',
  'svg .caption{font-weight:bold}',
  'svg .count{font-size:16px}',
  'dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25rem 1rem}',
  'dt{font-weight:bold}',
  'dd{margin:0;overflow-wrap:anywhere}',
  '.in-sample{border:2px solid #a84a00;background:#fdf1e8;padding:.6rem .9rem;border-radius:.4rem}',
  '.in-sample.note{border-color:#c9ced8;background:#f4f6f9}',
  '.label-sets ul{list-style:none;margin:0;padding:0;text-align:left}',
  '.label-sets td.sets{text-align:left}',
  '@media (max-width:600px){body{margin:1rem}th,td{padding:.2rem .4rem}}',
  paletteCss((_, l) => `.l${l}`),
  ERRORS_STYLE,
].join('');

function htmlInSample(check: InSampleCheck | undefined): string[] {
  if (!check?.message) return [];
  return [
    `<p class="in-sample${check.inSample ? '' : ' note'}" role="note"><strong>${check.inSample ? 'In-sample scores.' : 'Note.'}</strong> ${esc(messageBody(check))}</p>`,
  ];
}

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
    ...htmlInSample(input.inSample),
    ...(input.metrics ? htmlMetrics(input.metrics) : htmlCounts(input)),
    ...(input.metrics ? htmlLabelSets(input.labelSets) : []),
    ...(input.kinds.length > 0
      ? ['<h2>By kind of text</h2>', htmlTable(input.metrics ? KIND_HEAD : KIND_HEAD.slice(0, 2), kindRows(input))]
      : []),
    ...htmlConfidence(input),
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
