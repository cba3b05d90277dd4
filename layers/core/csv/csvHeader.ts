import { InputError } from '../errors.ts';
import { parseLabelSet } from '../labels.ts';

/**
 * The header contract of the CSV files users send, with no Node dependency: the streaming reader (csvReader.ts)
 * and the web page's in-browser reader both check headers here, so a file the page accepts is one the CLI accepts.
 */
export const DELIMITERS = [',', ';', '\t'] as const;
export type Delimiter = (typeof DELIMITERS)[number];

export interface CsvHeader {
  /** Column names as written in the file (trimmed). */
  columns: string[];
  delimiter: Delimiter;
  titleIndex: number;
  abstractIndex: number;
  /** Present when the file carries labels. */
  groupIndex?: number;
}

const normalizeName = (name: string): string => name.trim().toLowerCase();

/** The columns the contract gives a meaning to: each may appear once. Other columns are passed through as they are. */
const CONTRACT_COLUMNS = new Set(['title', 'abstract', 'group']);

/**
 * A first line that holds an abstract's text or a label set is data, not a header: say the header is missing
 * rather than list "columns" that are someone's abstract.
 */
function looksLikeData(columns: readonly string[]): boolean {
  return columns.some((c) => c.length > 40 || c.split(/\s+/).length >= 5 || (c !== '' && parseLabelSet(c).ok));
}

/** Validates the header record against the contract: `title` and `abstract` required, `group` optional. */
export function headerFrom(names: readonly string[], delimiter: Delimiter, line = 1): CsvHeader {
  const columns = names.map((n) => n.trim());
  const normalized = columns.map(normalizeName);
  const seen = new Map<string, number>();
  normalized.forEach((name, i) => {
    if (!CONTRACT_COLUMNS.has(name)) return;
    if (seen.has(name)) {
      throw new InputError(
        'duplicate_column',
        `column "${columns[i]}" appears twice in the header (columns ${seen.get(name)! + 1} and ${i + 1})`,
        [{ line, column: i + 1, field: columns[i]!, message: 'duplicate column name' }],
      );
    }
    seen.set(name, i);
  });
  const missing = ['title', 'abstract'].filter((c) => !seen.has(c));
  if (missing.length === 2 && looksLikeData(columns)) {
    throw new InputError(
      'missing_header',
      `missing header: line ${line} holds data, not column names; add a first line naming the columns, with "title" and "abstract" (and "group" for labels), separated by ${JSON.stringify(delimiter)}`,
      [{ line, message: 'missing header line' }],
    );
  }
  if (missing.length > 0) {
    const found = columns.map((c) => JSON.stringify(c)).join(', ');
    throw new InputError(
      'missing_column',
      `required column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(' and ')} not found in the header (line ${line}); columns found: ${found} (delimiter detected: ${JSON.stringify(delimiter)})`,
      missing.map((m) => ({ line, field: m, message: `missing required column "${m}"` })),
    );
  }
  const groupIndex = seen.get('group');
  return {
    columns,
    delimiter,
    titleIndex: seen.get('title')!,
    abstractIndex: seen.get('abstract')!,
    ...(groupIndex === undefined ? {} : { groupIndex }),
  };
}

/** Picks the candidate delimiter that occurs most often outside quotes in the header line (`,` on a tie). */
export function detectDelimiter(headerLine: string): Delimiter {
  const counts = new Map<Delimiter, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch as Delimiter)) counts.set(ch as Delimiter, counts.get(ch as Delimiter)! + 1);
  }
  let best: Delimiter = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/**
 * The longest field a row may have, in UTF-16 code units (JavaScript string length), and the longest text the model
 * is given for a row (`title + " " + abstract`, counted after NFKC as the model reads it). A longer field fails its
 * row with its line and column: a whole article pasted into one cell costs the model seconds and is not an abstract.
 */
export const MAX_FIELD_CHARS = 100_000;

/** The longest record either reader accepts: one stray quote must not make a reader buffer the whole file. */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;

/**
 * csv-parse options both readers (the streaming one and the page's) use, so they split records alike: any line end,
 * in any mix (files pass through editors and exports that change some lines and not others), raw text and line info
 * kept for error locations, ragged rows reported by the caller rather than by the parser.
 */
export const RECORD_PARSE_OPTIONS = {
  record_delimiter: ['\r\n', '\n', '\r'],
  info: true,
  raw: true,
  relax_column_count: true,
  relax_quotes: false,
  skip_empty_lines: false,
  max_record_size: MAX_RECORD_CHARS,
};
