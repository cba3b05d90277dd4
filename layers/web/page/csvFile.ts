import { CsvError, parse } from 'csv-parse/sync';
import { type CsvHeader, detectDelimiter, headerFrom, RECORD_PARSE_OPTIONS } from '#core/csv/csvHeader.ts';
import { checkRecord } from '#core/csv/records.ts';
import { InputError, type ProblemDetail } from '#core/errors.ts';

/**
 * Reads a whole CSV file in the browser with the rules the CLI and the S3 path apply (same parser library,
 * the core's header contract and row checks): a file with any bad row is refused as a whole, listing every
 * problem with its line and column, so the page never classifies a file the CLI would reject.
 */
export interface PageRow {
  line: number;
  fields: string[];
  /** `title + " " + abstract`, what the model reads. */
  text: string;
  truth?: number[];
}

export interface PageCsv {
  header: CsvHeader;
  rows: PageRow[];
}

export const MAX_PAGE_ROWS = 5000;
const LINE_BREAK = /\r\n|\n|\r/g;
const TRAILING_BREAK = /(\r\n|\n|\r)$/;

interface ParsedRecord {
  record: string[];
  raw: string;
}

export function readCsvText(text: string, maxRows = MAX_PAGE_ROWS): PageCsv {
  const body = text.replace(/^\ufeff/, '');
  const firstLine = body.split(/\r\n|\n|\r/, 1)[0] ?? '';
  if (firstLine.trim() === '')
    throw new InputError(
      'empty_file',
      'the file is empty or its first line is blank: expected a header with "title" and "abstract"',
      [{ line: 1, message: 'no header' }],
    );
  const delimiter = detectDelimiter(firstLine);
  let parsed: ParsedRecord[];
  try {
    parsed = parse(body, {
      delimiter,
      ...RECORD_PARSE_OPTIONS,
    }) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof CsvError) {
      const line = (error as CsvError & { lines?: number }).lines ?? 1;
      throw new InputError('malformed_csv', `the file is not valid CSV near line ${line}: ${error.message}`, [
        { line, message: error.message },
      ]);
    }
    throw error;
  }
  // Line numbers of each record's first line, as the streaming reader counts them (a quoted field may span lines).
  let nextLine = 1;
  const records: { line: number; fields: string[] }[] = [];
  for (const { record, raw } of parsed) {
    const line = nextLine;
    const content = raw.replace(TRAILING_BREAK, '');
    nextLine = line + 1 + (content.match(LINE_BREAK)?.length ?? 0);
    if (record.length === 1 && record[0] === '' && content.trim() === '') continue;
    records.push({ line, fields: record });
  }
  const [first, ...data] = records;
  if (!first) throw new InputError('empty_file', 'the file has no header', [{ line: 1, message: 'no header' }]);
  const header = headerFrom(first.fields, delimiter, first.line);
  if (data.length === 0)
    throw new InputError('no_rows', 'the file has a header but no rows', [
      { line: first.line + 1, message: 'no data rows' },
    ]);
  if (data.length > maxRows) {
    throw new InputError(
      'too_many_rows',
      `the page takes up to ${maxRows.toLocaleString('en')} rows and this file has ${data.length.toLocaleString('en')}; use the CLI (npm run evaluate) or the S3 bucket for larger files`,
      [{ line: data[maxRows]!.line, message: `row ${maxRows + 1} is past the page's limit` }],
    );
  }
  const rows: PageRow[] = [];
  const problems: ProblemDetail[] = [];
  for (const record of data) {
    const checked = checkRecord(record.fields, record.line, header);
    if (checked.problems.length > 0) problems.push(...checked.problems);
    else
      rows.push({
        line: record.line,
        fields: record.fields,
        text: checked.text,
        ...(checked.truth ? { truth: checked.truth } : {}),
      });
  }
  if (problems.length > 0)
    throw new InputError(
      'invalid_rows',
      `${problems.length} row problem${problems.length > 1 ? 's' : ''}: the file was not classified`,
      problems,
    );
  return { header, rows };
}
