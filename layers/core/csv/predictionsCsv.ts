import { stringify } from 'csv-stringify/sync';
import { formatLabelSet, LABELS } from '../labels.ts';

/**
 * `predictions.csv`: every input column, then `group_predicted`, one probability column per label, `kind` (the
 * kind of text, layers/model/router.ts, i.e. which expert answered) and `confidence` (layers/core/confidence.ts); always
 * comma-delimited, RFC 4180 quoting (only where needed), UTF-8 without BOM, `\n` line ends. The inline and the
 * fan-out paths both write rows through here, so their outputs are byte-identical.
 */
export const PREDICTION_COLUMNS = ['group_predicted', ...LABELS.map((l) => `proba_${l}`), 'kind', 'confidence'];

/** Probabilities are written with 6 decimals: stable across platforms and far below any threshold's resolution. */
export const formatProbability = (p: number): string => p.toFixed(6);

// csv-stringify quotes fields with `\n`, quotes or commas, but not a bare `\r`, which other readers take as a
// line end: quote it too, so one input row stays one output row everywhere.
const OPTIONS = { record_delimiter: '\n', quoted_match: /\r/ } as const;

/** Last, and only on request (`--explain`, `EVIDENCE_COLUMN`): the words behind each predicted label. */
export const EVIDENCE_COLUMN = 'evidence';

/**
 * What to do with input cells a spreadsheet would run as a formula (OWASP "CSV injection": a cell starting with `=`,
 * `+`, `-`, `@`, a tab or a carriage return): `neutralise` (the default) writes them with a leading `'`, so Excel,
 * LibreOffice and Google Sheets show text instead of running `=HYPERLINK(...)`; plain numbers (`-5`, `+1.5e3`) are
 * left alone, since a spreadsheet reads them as numbers. `keep` writes every cell exactly as read.
 */
export type FormulaCells = 'neutralise' | 'keep';
export const FORMULA_CELLS: readonly FormulaCells[] = ['neutralise', 'keep'];
export const DEFAULT_FORMULA_CELLS: FormulaCells = 'neutralise';
export const isFormulaCells = (value: string): value is FormulaCells =>
  (FORMULA_CELLS as readonly string[]).includes(value);

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell as `neutralise` writes it. */
export function neutraliseFormula(cell: string): string {
  return FORMULA_START.test(cell) && !PLAIN_NUMBER.test(cell) ? `'${cell}` : cell;
}

export interface PredictionsCsvOptions {
  /** Input cells a spreadsheet would run as formulas (default `neutralise`). */
  formulas?: FormulaCells;
}

const inputCells = (cells: readonly string[], formulas: FormulaCells = DEFAULT_FORMULA_CELLS): readonly string[] =>
  formulas === 'keep' ? cells : cells.map(neutraliseFormula);

export function predictionsHeader(
  inputColumns: readonly string[],
  options: { evidence?: boolean } & PredictionsCsvOptions = {},
): string {
  return stringify(
    [
      [
        ...inputCells(inputColumns, options.formulas),
        ...PREDICTION_COLUMNS,
        ...(options.evidence ? [EVIDENCE_COLUMN] : []),
      ],
    ],
    OPTIONS,
  );
}

export function predictionRows(
  rows: readonly {
    fields: readonly string[];
    labels: readonly number[];
    proba: readonly number[];
    kind: string;
    confidence: string;
    evidence?: string;
  }[],
  width: number,
  options: PredictionsCsvOptions = {},
): string {
  return stringify(
    rows.map((r) => {
      const fields = r.fields.length === width ? r.fields : Array.from({ length: width }, (_, i) => r.fields[i] ?? '');
      const row = [
        ...inputCells(fields, options.formulas),
        formatLabelSet(r.labels),
        ...r.proba.map(formatProbability),
        r.kind,
        r.confidence,
      ];
      if (r.evidence !== undefined) row.push(r.evidence);
      return row;
    }),
    OPTIONS,
  );
}
