import { CsvError, parse } from 'csv-parse/stream';
import { type ErrorLocation, InputError } from '../errors.ts';
import {
  type CsvHeader,
  DELIMITERS,
  type Delimiter,
  detectDelimiter,
  headerFrom,
  MAX_RECORD_CHARS,
  RECORD_PARSE_OPTIONS,
} from './csvHeader.ts';
import { checkedUtf8, concatBytes, unsupportedEncoding } from './encoding.ts';

/**
 * Streaming reader for the CSV files users send: UTF-8 with or without BOM, `,` `;` or tab (detected from the
 * header line, or named by Excel's `sep=;` first line), RFC 4180 quoting, CRLF, LF or CR line ends (mixed too).
 * Parsing is csv-parse's; this module adds delimiter detection, the header contract, the encoding check, the
 * count of skipped blank lines and exact line numbers (of a record's first line, for records spanning several
 * lines). Every error of the source reaches the reader as a rejection, never as an unhandled stream 'error'.
 *
 * One reader for every caller: the CLI, the S3 function and the fan-out read files with it in Node, and the web
 * page runs this very module on the bytes of the file it is given (esbuild bundles it; layers/web/build.ts), so
 * the same bytes give the same header and records, or the same error, everywhere. Hence web streams
 * (`csv-parse/stream`'s TransformStream) and Uint8Array rather than Node streams and Buffer.
 */

export { type CsvHeader, DELIMITERS, type Delimiter, detectDelimiter, headerFrom } from './csvHeader.ts';

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

/** The first line with something other than whitespace; undefined while more bytes are needed to know it. */
function firstContentLine(text: string, complete: boolean): string | undefined {
  const lines = text.split(LINE_BREAK);
  const finished = complete ? lines : lines.slice(0, -1);
  const found = finished.find((l) => l.trim() !== '');
  if (found !== undefined) return found;
  return complete ? '' : undefined;
}

/**
 * Reads chunks until the first non-blank line is complete (any line break: CRLF, LF or CR), so the delimiter can
 * be detected; returns the chunks for replay.
 */
async function peekFirstLine(iterator: AsyncIterator<Uint8Array>): Promise<{ head: Uint8Array[]; firstLine: string }> {
  const head: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const next = await iterator.next();
    const done = next.done === true;
    if (!done) {
      const chunk = next.value;
      head.push(chunk);
      size += chunk.length;
      if (chunk.indexOf(10) < 0 && chunk.indexOf(13) < 0 && size < MAX_HEADER_BYTES) continue;
    }
    const line = firstLineOf(concatBytes(head), done || size >= MAX_HEADER_BYTES);
    if (line !== undefined) return { head, firstLine: line };
  }
}

/** How much of what was read is decoded first to find the first line: a source may hand over a whole file at once. */
const FIRST_LINE_WINDOW = 1 << 16;

/**
 * `firstContentLine` of the bytes read so far. Decoded only to find the line: invalid bytes become U+FFFD here and
 * fail in the UTF-8 check that follows. A window at the start is tried first, growing until it holds a complete line
 * or is everything: a line complete in a window is the same line in the whole (what the window cuts off, a character
 * included, is only ever in its last, incomplete line), so a 12 MB chunk is not decoded and split to read its header.
 */
function firstLineOf(bytes: Uint8Array, complete: boolean): string | undefined {
  const decoder = new TextDecoder();
  for (let window = FIRST_LINE_WINDOW; ; window *= 4) {
    const whole = window >= bytes.length;
    const text = decoder.decode(whole ? bytes : bytes.subarray(0, window)).replace(/^\ufeff/, '');
    const line = firstContentLine(text, whole && complete);
    if (line !== undefined || whole) return line;
  }
}

/** What csv-parse gives per record with `raw` and `info` on. */
interface ParsedRecord {
  record: string[];
  raw: string;
  info: { bytes: number };
}

/** Excel writes `sep=;` as the first line of a CSV to name its delimiter. */
const EXCEL_SEPARATOR = /^\s*sep=(.)\s*$/i;

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
  /** Lines with nothing but whitespace skipped so far (before the header and between records). */
  readonly blankLines: number;
}

const LINE_BREAK = /\r\n|\n|\r/g;

/** The most bytes handed to the parser at once (see the writer below). */
const PARSE_PIECE = 1 << 16;

// The longest record accepted (csvHeader.ts): without a cap, one stray quote makes the parser buffer the rest of
// the file as a single field, and memory grows with the file.
export { MAX_RECORD_CHARS };

/** Where a record's raw text ends without the line break that closes it (CRLF, LF or CR; none at the end of a file). */
function contentEnd(raw: string): number {
  const end = raw.length;
  const last = raw.charCodeAt(end - 1);
  if (last === 10) return end >= 2 && raw.charCodeAt(end - 2) === 13 ? end - 2 : end - 1;
  return last === 13 ? end - 1 : end;
}

/**
 * The line breaks (CRLF, LF or CR, each one break) in `raw[0 .. end)`: the lines a quoted field spans. Most records
 * have none, which two native searches find without copying the record or running a regular expression over it.
 */
function breaksBefore(raw: string, end: number): number {
  const lf = raw.indexOf('\n');
  const cr = raw.indexOf('\r');
  let i = Math.min(lf < 0 ? end : lf, cr < 0 ? end : cr);
  let breaks = 0;
  for (; i < end; i++) {
    const c = raw.charCodeAt(i);
    if (c === 10) breaks++;
    else if (c === 13) {
      breaks++;
      if (i + 1 < end && raw.charCodeAt(i + 1) === 10) i++;
    }
  }
  return breaks;
}

/** Opens a CSV byte stream: reads and validates the header (unless given), then yields data records lazily. */
export async function openCsv(source: AsyncIterable<Uint8Array>, options: CsvReadOptions = {}): Promise<CsvStream> {
  const iterator = source[Symbol.asyncIterator]();
  let replay: Uint8Array[] = [];
  let delimiter: Delimiter;
  let separatorLine = false;
  if (options.header) {
    delimiter = options.header.delimiter;
  } else {
    let peeked: Awaited<ReturnType<typeof peekFirstLine>>;
    try {
      peeked = await peekFirstLine(iterator);
      const encoding = unsupportedEncoding(concatBytes(peeked.head).subarray(0, 4));
      if (encoding) {
        throw new InputError(
          'unsupported_encoding',
          `the file is ${encoding} text; only UTF-8 is read: save it as UTF-8 ("CSV UTF-8" in Excel) and upload it again`,
          [{ line: 1, message: `${encoding} text, expected UTF-8` }],
        );
      }
      if (peeked.firstLine.trim() === '') {
        throw new InputError(
          'empty_file',
          'the file is empty or holds only blank lines: expected a header with "title" and "abstract"',
          [{ line: 1, message: 'no header' }],
        );
      }
    } catch (error) {
      await iterator.return?.().catch(() => undefined);
      throw error;
    }
    replay = peeked.head;
    const separator = EXCEL_SEPARATOR.exec(peeked.firstLine);
    if (separator) {
      const named = separator[1]!;
      if (!(DELIMITERS as readonly string[]).includes(named)) {
        await iterator.return?.().catch(() => undefined);
        throw new InputError(
          'unsupported_delimiter',
          `the first line names the delimiter ${JSON.stringify(named)}; supported delimiters are comma, semicolon and tab`,
          [{ line: 1, message: `unsupported delimiter ${JSON.stringify(named)}` }],
        );
      }
      delimiter = named as Delimiter;
      separatorLine = true;
    } else {
      delimiter = detectDelimiter(peeked.firstLine);
    }
  }

  async function* bytes(): AsyncGenerator<Uint8Array> {
    yield* replay;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }

  const parser = parse({
    delimiter,
    ...RECORD_PARSE_OPTIONS,
    bom: !options.header,
  });
  const writer = parser.writable.getWriter();
  const rows = parser.readable.getReader() as ReadableStreamDefaultReader<ParsedRecord>;
  // An error of the source (a reset connection, an invalid byte) aborts the parser with that error, so it rejects
  // the reader's next read instead of being lost; a parser that fails or is cancelled makes the write reject.
  void (async () => {
    try {
      // In pieces of at most PARSE_PIECE bytes: the parser turns a whole piece into records at once, and the
      // stream's backpressure only bounds them between pieces, so a source that hands over a whole file in one chunk
      // (a page's File, a buffer) would otherwise hold every record of it in memory together.
      for await (const chunk of checkedUtf8(bytes(), options.firstLine ?? 1))
        for (let at = 0; at < chunk.length; at += PARSE_PIECE) await writer.write(chunk.subarray(at, at + PARSE_PIECE));
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
    }
  })();
  // Whatever ends reading early (a bad header, a syntax error, a consumer that stops) releases the source too,
  // so a rejected S3 object does not leave its HTTP body half-read in a warm container.
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await rows.cancel().catch(() => undefined);
    await iterator.return?.().catch(() => undefined);
  };
  let nextLine = options.firstLine ?? 1;
  const firstByte = options.firstByte ?? 0;
  /** The header's column names, to name a column in a syntax error (none while the header itself is read). */
  let columns = options.header?.columns;
  let blankLines = 0;

  const read = async (): Promise<CsvRecord | undefined> => {
    for (;;) {
      let next: ReadableStreamReadResult<ParsedRecord>;
      try {
        next = await rows.read();
      } catch (error) {
        throw csvSyntaxError(error, nextLine, (options.firstLine ?? 1) - 1, columns);
      }
      if (next.done) return undefined;
      const { record, raw, info } = next.value;
      const line = nextLine;
      const end = contentEnd(raw);
      nextLine = line + 1 + breaksBefore(raw, end);
      // A line of nothing but whitespace is not a record; it is counted so the report can say it was skipped.
      if (record.length === 1 && raw.slice(0, end).trim() === '') {
        blankLines++;
        continue;
      }
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
      if (separatorLine) await read();
      const first = await read();
      if (!first)
        throw new InputError('empty_file', 'the file has no header', [{ line: nextLine, message: 'no header' }]);
      header = headerFrom(first.fields, delimiter, first.line);
      columns = header.columns;
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
  return {
    header,
    headerLine,
    headerEndByte,
    headerNextLine,
    records: records(),
    get blankLines() {
      return blankLines;
    },
  };
}

/**
 * A syntax error of csv-parse as the user's error: where (line, 1-based column, the column's name once the header is
 * known) and what to do, in our words for the quoting mistakes people make (csv-parse's own message, which counts
 * fields from 0, stays in `cause`). `record` is the line where the record being parsed starts; csv-parse counts lines
 * from the start of what it was given, and `offset` maps a slice's lines to the file's. An unclosed quote is found
 * only at the end of the file, which is where csv-parse places it: the record it opens in is where to look.
 */
function csvSyntaxError(error: unknown, record: number, offset: number, columns: readonly string[] | undefined): Error {
  if (!(error instanceof CsvError)) return error instanceof Error ? error : new Error(String(error));
  const info = error as CsvError & { lines?: number; column?: number | string };
  const counted = info.lines === undefined ? record : info.lines + offset;
  const column = typeof info.column === 'number' ? info.column + 1 : undefined;
  const name = column === undefined ? undefined : columns?.[column - 1];
  const where = (line: number): ErrorLocation => ({
    line,
    ...(column === undefined ? {} : { column }),
    ...(name === undefined ? {} : { field: name }),
  });
  const at = (line: number): string =>
    `line ${line}${column === undefined ? '' : `, column ${column}`}${name === undefined ? '' : ` (${JSON.stringify(name)})`}`;
  const problem = (location: ErrorLocation, message: string, detail: string) =>
    new InputError('malformed_csv', `the file is not valid CSV: ${message}`, [{ ...location, message: detail }], {
      cause: error,
    });
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return problem(
        where(record),
        `a quoted field in the record at ${at(record)} is never closed, so everything after its opening quote, to the end of the file (line ${counted}), would be one field; close the quote, or write a quote that is part of the text as two ("")`,
        'quoted field never closed',
      );
    case 'INVALID_OPENING_QUOTE':
      return problem(
        where(counted),
        `a quote inside a field that does not start with one, at ${at(counted)}; put the whole field in quotes and write each quote in it as two ("5"" tall")`,
        'quote inside an unquoted field',
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
      return problem(
        where(counted),
        `a quoted field goes on after its closing quote, at ${at(counted)}; a quoted field ends at its closing quote, and a quote that is part of the text is written as two ("")`,
        'text after a closing quote',
      );
    case 'CSV_MAX_RECORD_SIZE':
      return problem(
        where(record),
        `the record at ${at(record)} runs past ${MAX_RECORD_CHARS.toLocaleString('en')} characters, the most a record may hold; this is usually a quote that is never closed`,
        `record longer than ${MAX_RECORD_CHARS.toLocaleString('en')} characters`,
      );
    default:
      return problem(where(counted), `${error.message} (${at(counted)})`, error.message);
  }
}
