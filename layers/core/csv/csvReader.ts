import { Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { InputError } from '../errors.ts';
import { detectDelimiter, headerFrom, type CsvHeader, type Delimiter } from './csvHeader.ts';

/**
 * Streaming reader for the CSV files users send: UTF-8 with or without BOM, `,` `;` or tab (detected from the
 * header line), RFC 4180 quoting, CRLF or LF. Parsing is csv-parse's; this module adds delimiter detection,
 * the header contract and exact line numbers (of a record's first line, for records spanning several lines).
 */

export { DELIMITERS, detectDelimiter, headerFrom, type CsvHeader, type Delimiter } from './csvHeader.ts';

export interface CsvRecord {
  /** 1-based line of the record's first character in the file. */
  line: number;
  fields: string[];
  /** Byte offset just past this record (after its line break): where the next record starts. */
  endByte: number;
  /** Line number where the next record starts. */
  nextLine: number;
}

const MAX_HEADER_BYTES = 1 << 20;

/** Reads chunks until the first line break so the delimiter can be detected; returns them for replay. */
async function peekFirstLine(iterator: AsyncIterator<Uint8Array>): Promise<{ head: Buffer[]; firstLine: string; done: boolean }> {
  const head: Buffer[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.from(next.value);
    head.push(chunk);
    size += chunk.length;
    const newline = chunk.indexOf(10);
    if (newline >= 0 || size >= MAX_HEADER_BYTES) {
      const all = Buffer.concat(head);
      const end = all.indexOf(10);
      return { head, firstLine: all.subarray(0, end >= 0 ? end : all.length).toString('utf8').replace(/^\ufeff/, ''), done: false };
    }
  }
  const all = Buffer.concat(head);
  return { head, firstLine: all.toString('utf8').replace(/^\ufeff/, '').split(/\r?\n|\r/)[0] ?? '', done: true };
}

export interface CsvReadOptions {
  /**
   * For a slice of a larger file (fan-out): the header is known and not in the data, and line numbers
   * start at `firstLine`, byte offsets at `firstByte`.
   */
  header?: CsvHeader;
  firstLine?: number;
  firstByte?: number;
}

export interface CsvStream {
  header: CsvHeader;
  /** 1-based line of the header (0 when the header was given). */
  headerLine: number;
  /** Byte offset just past the header record. */
  headerEndByte: number;
  /** Line number just after the header. */
  headerNextLine: number;
  records: AsyncIterable<CsvRecord>;
}

const LINE_BREAK = /\r\n|\n|\r/g;
/**
 * The longest record accepted, in characters. Abstracts are a few KB; without a cap, one stray quote makes the
 * parser buffer the rest of the file as a single field, and memory grows with the file.
 */
export const MAX_RECORD_CHARS = 4 * 1024 * 1024;
const TRAILING_BREAK = /(\r\n|\n|\r)$/;

/** Opens a CSV byte stream: reads and validates the header (unless given), then yields data records lazily. */
export async function openCsv(source: AsyncIterable<Uint8Array>, options: CsvReadOptions = {}): Promise<CsvStream> {
  const iterator = source[Symbol.asyncIterator]();
  let replay: Buffer[] = [];
  let delimiter: Delimiter;
  if (options.header) {
    delimiter = options.header.delimiter;
  } else {
    const peeked = await peekFirstLine(iterator);
    replay = peeked.head;
    if (peeked.firstLine.trim() === '') {
      await iterator.return?.().catch(() => undefined);
      throw new InputError('empty_file', 'the file is empty or its first line is blank: expected a header with "title" and "abstract"', [
        { line: 1, message: 'no header' },
      ]);
    }
    delimiter = detectDelimiter(peeked.firstLine);
  }

  async function* bytes(): AsyncGenerator<Buffer> {
    yield* replay;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield Buffer.from(next.value);
    }
  }

  const parser = Readable.from(bytes()).pipe(
    parse({ delimiter, bom: !options.header, info: true, raw: true, relax_column_count: true, relax_quotes: false, skip_empty_lines: false, max_record_size: MAX_RECORD_CHARS }),
  );
  // Whatever ends reading early (a bad header, a syntax error, a consumer that stops) releases the source too,
  // so a rejected S3 object does not leave its HTTP body half-read in a warm container.
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    parser.destroy();
    await iterator.return?.().catch(() => undefined);
  };
  const rows = parser[Symbol.asyncIterator]() as AsyncIterator<{ record: string[]; raw: string; info: { bytes: number } }>;
  let nextLine = options.firstLine ?? 1;
  const firstByte = options.firstByte ?? 0;

  const read = async (): Promise<CsvRecord | undefined> => {
    for (;;) {
      let next: IteratorResult<{ record: string[]; raw: string; info: { bytes: number } }>;
      try {
        next = await rows.next();
      } catch (error) {
        throw csvSyntaxError(error, nextLine, (options.firstLine ?? 1) - 1);
      }
      if (next.done) return undefined;
      const { record, raw, info } = next.value;
      const line = nextLine;
      const content = raw.replace(TRAILING_BREAK, '');
      nextLine = line + 1 + (content.match(LINE_BREAK)?.length ?? 0);
      // A blank line is not a record.
      if (record.length === 1 && record[0] === '' && content.trim() === '') continue;
      return { line, fields: record, endByte: firstByte + info.bytes, nextLine };
    }
  };

  let header: CsvHeader;
  let headerLine = 0;
  let headerEndByte = firstByte;
  let headerNextLine = nextLine;
  if (options.header) {
    header = options.header;
  } else {
    try {
      const first = await read();
      if (!first) throw new InputError('empty_file', 'the file has no header', [{ line: 1, message: 'no header' }]);
      header = headerFrom(first.fields, delimiter, first.line);
      headerLine = first.line;
      headerEndByte = first.endByte;
      headerNextLine = first.nextLine;
    } catch (error) {
      await close();
      throw error;
    }
  }

  async function* records(): AsyncGenerator<CsvRecord> {
    try {
      for (;;) {
        const record = await read();
        if (!record) return;
        yield record;
      }
    } finally {
      await close();
    }
  }
  return { header, headerLine, headerEndByte, headerNextLine, records: records() };
}

/** csv-parse counts lines from the start of what it was given: `offset` maps a slice's lines to the file's. */
function csvSyntaxError(error: unknown, line: number, offset: number): Error {
  if (error instanceof CsvError) {
    const counted = (error as CsvError & { lines?: number }).lines;
    const where = counted === undefined ? line : counted + offset;
    return new InputError('malformed_csv', `the file is not valid CSV near line ${where}: ${error.message}`, [
      { line: where, message: error.message },
    ], { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
