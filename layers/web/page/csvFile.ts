import { type CsvHeader, openCsv } from '#core/csv/csvReader.ts';
import { checkRecord, MAX_LISTED_PROBLEMS, noRowsError } from '#core/csv/records.ts';
import { InputError, InvalidRowsError, type ProblemDetail } from '#core/errors.ts';
import { modelLengthOver } from '#core/text.ts';

/**
 * Reads a CSV file in the browser with the reader the CLI and the S3 path run (layers/core/csv/csvReader.ts,
 * bundled into the page) and the same row checks: the same bytes give the same header and rows, or the same
 * error with the same lines and columns. A file with any bad row is refused as a whole, as the CLI refuses it.
 * On top, the page's own limits: at most `maxRows` rows, and no text longer than the API takes.
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
  /** Whitespace-only lines skipped, as the CLI's report counts them. */
  blankLines: number;
}

export const MAX_PAGE_ROWS = 5000;

export interface PageCsvLimits {
  maxRows?: number;
  /** The API's `max_text_chars`: a longer text would be refused by /predict, so the row is refused here. */
  maxTextChars?: number;
}

export async function readPageCsv(source: AsyncIterable<Uint8Array>, limits: PageCsvLimits = {}): Promise<PageCsv> {
  const maxRows = limits.maxRows ?? MAX_PAGE_ROWS;
  const csv = await openCsv(source);
  const { header } = csv;
  const rows: PageRow[] = [];
  const problems: ProblemDetail[] = [];
  let problemCount = 0;
  let count = 0;
  const report = (detail: ProblemDetail): void => {
    problemCount++;
    if (problems.length < MAX_LISTED_PROBLEMS) problems.push(detail);
  };
  for await (const record of csv.records) {
    if (++count > maxRows) {
      throw new InputError(
        'too_many_rows',
        `the page takes up to ${maxRows.toLocaleString('en')} rows and this file has more; use the CLI (npm run evaluate) or the S3 bucket for larger files`,
        [{ line: record.line, message: `row ${maxRows + 1} is past the page's limit` }],
      );
    }
    const checked = checkRecord(record.fields, record.line, header);
    checked.problems.forEach(report);
    if (checked.problems.length > 0) continue;
    // Counted as the API counts it (layers/adapters/api/predictRequest.ts): as the model reads the text, after NFKC.
    const read = limits.maxTextChars === undefined ? undefined : modelLengthOver(checked.text, limits.maxTextChars);
    if (read !== undefined) {
      report({
        line: record.line,
        column: header.abstractIndex + 1,
        field: 'abstract',
        message: `title + " " + abstract has ${read.toLocaleString('en')} characters as the model reads it (after NFKC normalisation); the API takes at most ${limits.maxTextChars!.toLocaleString('en')} per text`,
      });
      continue;
    }
    rows.push({
      line: record.line,
      fields: record.fields,
      text: checked.text,
      ...(checked.truth ? { truth: checked.truth } : {}),
    });
  }
  if (problemCount > 0) throw new InvalidRowsError(problemCount, problems);
  if (rows.length === 0) throw noRowsError(csv.headerLine);
  return { header, rows, blankLines: csv.blankLines };
}

/** Largest piece handed to the parser at once: small enough that parsing it never holds the page up for long. */
export const READ_SLICE_BYTES = 64 * 1024;

/**
 * The bytes of a file, in slices of at most READ_SLICE_BYTES, reporting how far reading got. Between slices it
 * gives the browser a turn (a task boundary), so the page paints its progress and answers clicks while a large
 * file is read (a file the browser hands over in one chunk is still cut into slices).
 */
export async function* fileChunks(
  file: Blob,
  onProgress: (bytesRead: number, totalBytes: number) => void = () => {},
): AsyncGenerator<Uint8Array> {
  const reader = file.stream().getReader();
  let read = 0;
  try {
    onProgress(0, file.size);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (let at = 0; at < value.length; at += READ_SLICE_BYTES) {
        const slice = value.subarray(at, at + READ_SLICE_BYTES);
        read += slice.length;
        yield slice;
        onProgress(read, file.size);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  } finally {
    reader.releaseLock();
  }
}
