import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type CsvRecord, detectDelimiter, headerFrom, MAX_RECORD_CHARS, openCsv } from '#core/csv/csvReader.ts';
import { InputError } from '#core/errors.ts';

const source = (text: string | Buffer, chunkSize = 7): AsyncIterable<Uint8Array> => {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
};

async function readAll(
  text: string | Buffer,
  chunkSize?: number,
): Promise<{
  columns: string[];
  delimiter: string;
  records: CsvRecord[];
  groupIndex?: number;
  headerLine: number;
  blankLines: number;
}> {
  const csv = await openCsv(source(text, chunkSize));
  const records: CsvRecord[] = [];
  for await (const r of csv.records) records.push(r);
  return {
    columns: csv.header.columns,
    delimiter: csv.header.delimiter,
    records,
    ...(csv.header.groupIndex === undefined ? {} : { groupIndex: csv.header.groupIndex }),
    headerLine: csv.headerLine,
    blankLines: csv.blankLines,
  };
}

async function failure(text: string | Buffer): Promise<InputError> {
  try {
    await readAll(text);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('delimiter detection', () => {
  it.each([
    ['title,abstract,group', ','],
    ['title;abstract;group', ';'],
    ['title\tabstract\tgroup', '\t'],
    ['"a;b",title,abstract', ','],
  ])('detects the delimiter of %j', (line, expected) => {
    expect(detectDelimiter(line)).toBe(expected);
  });
});

describe('reading CSV that users send', () => {
  it('reads the challenge format: semicolons, header title;abstract;group', async () => {
    const { delimiter, records, groupIndex } = await readAll(
      'title;abstract;group\nT1;A1;neurological\nT2;A2;cardio|onco\n',
    );
    expect(delimiter).toBe(';');
    expect(groupIndex).toBe(2);
    expect(records.map((r) => r.fields)).toEqual([
      ['T1', 'A1', 'neurological'],
      ['T2', 'A2', 'cardio|onco'],
    ]);
  });

  it('strips a UTF-8 BOM and accepts CRLF line ends', async () => {
    const { columns, records } = await readAll('\ufefftitle,abstract\r\nT1,A1\r\nT2,A2\r\n');
    expect(columns).toEqual(['title', 'abstract']);
    expect(records.map((r) => [r.line, ...r.fields])).toEqual([
      [2, 'T1', 'A1'],
      [3, 'T2', 'A2'],
    ]);
  });

  it('keeps delimiters, quotes and newlines inside quoted fields, and numbers lines from the record start', async () => {
    const { records } = await readAll('title,abstract\n"a, b","line one\nline ""two"""\nnext,row\n');
    expect(records[0]!.fields).toEqual(['a, b', 'line one\nline "two"']);
    expect(records[0]!.line).toBe(2);
    expect(records[1]!.line).toBe(4);
  });

  it('matches header names in any case with spaces around, and keeps extra columns', async () => {
    const { columns, records } = await readAll(' ID \t TITLE \tAbstract\t Group \n7\tT\tA\tonco\n');
    expect(columns).toEqual(['ID', 'TITLE', 'Abstract', 'Group']);
    expect(records[0]!.fields).toEqual(['7', 'T', 'A', 'onco']);
  });

  it('skips blank lines without losing count of line numbers', async () => {
    const { records } = await readAll('title,abstract\n\nT,A\n\n\nU,B\n');
    expect(records.map((r) => r.line)).toEqual([3, 6]);
  });

  it('reports the byte offset where the next record starts', async () => {
    const text = '\ufefftitle,abstract\nT,A\nU,B\n';
    const { records } = await readAll(text);
    expect(records.map((r) => r.endByte)).toEqual([
      Buffer.byteLength('\ufefftitle,abstract\nT,A\n'),
      Buffer.byteLength(text),
    ]);
  });
});

describe('errors that say what and where', () => {
  it('names the missing required column and lists the columns found', async () => {
    const error = await failure('name;summary\nx;y\n');
    expect(error.code).toBe('missing_column');
    expect(error.message).toContain('"title" and "abstract"');
    expect(error.message).toContain('"name", "summary"');
  });

  it('rejects an empty file', async () => {
    expect((await failure('')).code).toBe('empty_file');
  });

  it('gives the line of an unclosed quote', async () => {
    const error = await failure('title,abstract\nT,A\n"open,quote\n');
    expect(error.code).toBe('malformed_csv');
    expect(error.details[0]!.line).toBeGreaterThanOrEqual(3);
    expect(error.details[0]).toEqual({ line: 3, column: 1, field: 'title', message: 'quoted field never closed' });
  });

  it('places an unclosed quote at the record it opens in, not at the end of the file where the parser finds it', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `T${i},abstract ${i},cardio\n`).join('');
    const error = await failure(`title,abstract,group\nA,B,neuro\n\nok,"Broken, chest pain,cardio\n${rows}`);
    expect(error.details).toEqual([{ line: 4, column: 2, field: 'abstract', message: 'quoted field never closed' }]);
    expect(error.message).toBe(
      'the file is not valid CSV: a quoted field in the record at line 4, column 2 ("abstract") is never closed, so everything after its opening quote, to the end of the file (line 204), would be one field; close the quote, or write a quote that is part of the text as two ("")',
    );
  });

  it('says where a stray quote is, counting columns from 1 and naming them, and how to write one', async () => {
    const opening = await failure('title,abstract,group\nok,fine,cardio\nHeart 5" tall,chest pain,cardio\n');
    expect(opening.details).toEqual([
      { line: 3, column: 1, field: 'title', message: 'quote inside an unquoted field' },
    ]);
    expect(opening.message).toContain('at line 3, column 1 ("title"); put the whole field in quotes');
    const closing = await failure('title,abstract\nT,"Heart,"chest pain\n');
    expect(closing.details).toEqual([{ line: 2, column: 2, field: 'abstract', message: 'text after a closing quote' }]);
    expect(closing.message).toContain(
      'a quoted field goes on after its closing quote, at line 2, column 2 ("abstract")',
    );
    // Before the header is read there are no names: the column alone.
    const header = await failure('title,"abstract\n');
    expect(header.details).toEqual([{ line: 1, column: 2, message: 'quoted field never closed' }]);
  });

  it('rejects a record over the size limit instead of buffering the rest of the file', async () => {
    const error = await failure(`title,abstract\nT,"${'x'.repeat(MAX_RECORD_CHARS + 10)}`);
    expect(error.code).toBe('malformed_csv');
    expect(error.details[0]!.line).toBe(2);
    expect(error.details[0]).toMatchObject({ column: 2, field: 'abstract' });
    expect(error.message).toContain('usually a quote that is never closed');
  });

  it("numbers syntax errors in a slice of a file from the slice's first line", async () => {
    const csv = await openCsv(source('a,b\n"open,quote\n'), {
      header: headerFrom(['title', 'abstract'], ','),
      firstLine: 5000,
    });
    const error = await (async () => {
      try {
        for await (const _ of csv.records) void _;
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected an InputError');
    })();
    expect(error.details[0]!.line).toBeGreaterThanOrEqual(5001);
    expect(error.details[0]).toMatchObject({ line: 5001, column: 1, field: 'title' });
  });

  it('closes the source when the header is rejected', async () => {
    const stream = Readable.from([Buffer.from('name;summary\n'), Buffer.from('x;y\n'.repeat(1000))]);
    await expect(openCsv(stream)).rejects.toBeInstanceOf(InputError);
    expect(stream.destroyed).toBe(true);
  });

  it('rejects a header that names a column twice', async () => {
    const error = await failure('title,abstract,Title\nT,A,B\n');
    expect(error.code).toBe('duplicate_column');
    expect(error.details[0]!.column).toBe(3);
  });
});

describe('files as spreadsheet programs and editors export them', () => {
  it('reads CR-only line ends (old Mac Excel) in a file over 1 MiB, detecting the delimiter from the header alone', async () => {
    // Abstracts hold more commas than each line holds semicolons: only the header line can tell the delimiter.
    const rows = Array.from(
      { length: 16_000 },
      (_, i) => `Study ${i};Patients with stroke, seizures, dementia, and fever, followed up;neuro`,
    );
    const csv = `title;abstract;group\r${rows.join('\r')}\r`;
    expect(Buffer.byteLength(csv)).toBeGreaterThan(1 << 20);
    const { delimiter, records } = await readAll(csv, 65_536);
    expect(delimiter).toBe(';');
    expect(records).toHaveLength(16_000);
    expect(records.every((r) => r.fields.length === 3)).toBe(true);
  });

  it.each([';', '\t'])(
    'takes the delimiter from Excel\'s "sep=%s" first line and reads the header from the next line',
    async (sep) => {
      const { delimiter, columns, records, headerLine } = await readAll(
        `sep=${sep}\r\n${['title', 'abstract', 'group'].join(sep)}\r\n${['T, with a comma', 'A', 'cardio'].join(sep)}\r\n`,
      );
      expect(delimiter).toBe(sep);
      expect(columns).toEqual(['title', 'abstract', 'group']);
      expect(headerLine).toBe(2);
      expect(records.map((r) => [r.line, ...r.fields])).toEqual([[3, 'T, with a comma', 'A', 'cardio']]);
    },
  );

  it('reads a CRLF header followed by LF rows', async () => {
    const { records } = await readAll('title,abstract,group\r\nT1,A1,cardio\nT2,A2,neuro\n');
    expect(records.map((r) => [r.line, ...r.fields])).toEqual([
      [2, 'T1', 'A1', 'cardio'],
      [3, 'T2', 'A2', 'neuro'],
    ]);
  });

  it('leaves no carriage return in any field when an LF header is followed by CRLF rows', async () => {
    const { records } = await readAll('title,abstract,group\nT1,A1,cardio\r\nT2,A2,neuro\nT3,A3,onco\r\n');
    expect(records.map((r) => r.fields)).toEqual([
      ['T1', 'A1', 'cardio'],
      ['T2', 'A2', 'neuro'],
      ['T3', 'A3', 'onco'],
    ]);
  });

  it('accepts UTF-8 characters split between two chunks of the source', async () => {
    const { records } = await readAll('title,abstract\nÉtude rénale,Insuffisance rénale aiguë\n', 1);
    expect(records[0]!.fields).toEqual(['Étude rénale', 'Insuffisance rénale aiguë']);
  });

  it('reads a file handed over in one chunk of several hundred KB exactly as in small chunks (the parser gets it in pieces)', async () => {
    // Multi-byte characters and quoted line breaks all over, so some straddle the 64 KB pieces the parser is fed.
    const rows = Array.from(
      { length: 3000 },
      (_, i) => `"Étude ${i} — rénale","ligne un\r\nligne deux ${'é'.repeat(i % 7)}—${i}",cardio\n`,
    );
    const text = `title,abstract,group\n${rows.join('')}`;
    expect(Buffer.byteLength(text)).toBeGreaterThan(3 * 65_536);
    const whole = await readAll(text, Buffer.byteLength(text));
    const small = await readAll(text, 1000);
    expect(whole.records).toEqual(small.records);
    expect(whole.records).toHaveLength(3000);
    expect(whole.records[2999]!.fields[0]).toBe('Étude 2999 — rénale');
    expect(whole.records[2999]!.line).toBe(2 + 2 * 2999);
  });

  it('rejects a Windows-1252 file naming the first byte that is not UTF-8 and its line, instead of turning it into U+FFFD', async () => {
    const latin1 = Buffer.from('title;abstract\nHeart;ok\nCaf\u00e9 study;r\u00e9nal\n', 'latin1');
    const error = await failure(latin1);
    expect(error.code).toBe('invalid_utf8');
    expect(error.details[0]!.line).toBe(3);
    expect(error.message).toContain('0xE9');
    expect(error.message).toContain('UTF-8');
  });

  it('rejects a file whose last character is cut short', async () => {
    const cut = Buffer.concat([Buffer.from('title;abstract\nT;r'), Buffer.from('é').subarray(0, 1)]);
    expect((await failure(cut)).code).toBe('invalid_utf8');
  });

  it.each([
    [
      'UTF-16LE with BOM',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('title\tabstract\nT\tA\n', 'utf16le')]),
      'UTF-16LE',
    ],
    [
      'UTF-16BE with BOM',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('title\tabstract\nT\tA\n', 'utf16le').swap16()]),
      'UTF-16BE',
    ],
    ['UTF-16LE without BOM', Buffer.from('title,abstract\nT,A\n', 'utf16le'), 'UTF-16LE'],
    ['UTF-16BE without BOM', Buffer.from('title,abstract\nT,A\n', 'utf16le').swap16(), 'UTF-16BE'],
    [
      'UTF-32LE with BOM',
      Buffer.concat([
        Buffer.from([0xff, 0xfe, 0, 0]),
        Buffer.from([...'title,abstract\n'].flatMap((c) => [c.charCodeAt(0), 0, 0, 0])),
      ]),
      'UTF-32LE',
    ],
    [
      'UTF-32BE without BOM',
      Buffer.from([...'title,abstract\n'].flatMap((c) => [0, 0, 0, c.charCodeAt(0)])),
      'UTF-32BE',
    ],
  ])('says "save as UTF-8" for %s', async (_, bytes, encoding) => {
    const error = await failure(bytes);
    expect(error.code).toBe('unsupported_encoding');
    expect(error.message).toContain(encoding);
    expect(error.message).toContain('save it as UTF-8');
  });

  it('keeps extra columns that share a name (id;id)', async () => {
    const { columns, records } = await readAll('id;id;title;abstract\n1;2;T;A\n');
    expect(columns).toEqual(['id', 'id', 'title', 'abstract']);
    expect(records[0]!.fields).toEqual(['1', '2', 'T', 'A']);
  });

  it('skips blank and whitespace-only lines before the header and between rows, and counts them', async () => {
    const { columns, records, headerLine, blankLines } = await readAll('\n   \ntitle,abstract\nT,A\n \t \n\nU,B\n\n');
    expect(columns).toEqual(['title', 'abstract']);
    expect(headerLine).toBe(3);
    expect(records.map((r) => [r.line, ...r.fields])).toEqual([
      [4, 'T', 'A'],
      [7, 'U', 'B'],
    ]);
    expect(blankLines).toBe(5);
  });

  it('finds the header after 90 KB of blank lines in one chunk, a character cut at 64 KB included, as in small chunks', async () => {
    // 30,000 lines of a no-break space (2 bytes in UTF-8) and LF: byte 65,536 falls inside a character, where the
    // reader first looks for the header line before decoding the whole chunk.
    const text = `${'\u00a0\n'.repeat(30_000)}title;abstract\nT;A\n`;
    for (const chunkSize of [text.length * 3, 4096]) {
      const { columns, delimiter, records, headerLine, blankLines } = await readAll(text, chunkSize);
      expect(columns).toEqual(['title', 'abstract']);
      expect(delimiter).toBe(';');
      expect(headerLine).toBe(30_001);
      expect(records.map((r) => [r.line, ...r.fields])).toEqual([[30_002, 'T', 'A']]);
      expect(blankLines).toBe(30_000);
    }
  });

  it('reads a header that ends the file without a line break after 90 KB of blank lines in one chunk', async () => {
    // Only the whole, finished file may count its last line as complete; a window cut inside a character may not.
    const text = `${'\u00a0\n'.repeat(30_000)}title;abstract`;
    const { columns, records, headerLine, blankLines } = await readAll(text, text.length * 3);
    expect(columns).toEqual(['title', 'abstract']);
    expect(headerLine).toBe(30_001);
    expect(records).toEqual([]);
    expect(blankLines).toBe(30_000);
  });

  it('ends the header line at a CRLF cut by the 64 KB window as it does in the whole file', async () => {
    // 65,535 bytes of blank lines, then "\r" at byte 65,535 and "\n" at 65,536: one line break, not two.
    const blanks = `${' '.repeat(65_533)}\r\n`;
    const text = `${blanks}\r\ntitle,abstract\r\nT,A\r\n`;
    expect(Buffer.from(text).subarray(65_533, 65_535).toString()).toBe('\r\n');
    const windowEdge = `${' '.repeat(65_535)}\r\ntitle,abstract\r\nT,A\r\n`;
    expect(Buffer.from(windowEdge)[65_535]).toBe(13);
    for (const input of [text, windowEdge]) {
      const one = await readAll(input, input.length * 3);
      const small = await readAll(input, 4096);
      expect(one).toEqual(small);
      expect(one.columns).toEqual(['title', 'abstract']);
      expect(one.records.map((r) => r.fields)).toEqual([['T', 'A']]);
    }
    expect((await readAll(windowEdge, windowEdge.length * 3)).headerLine).toBe(2);
  });

  it('says the header is missing when the first line is data', async () => {
    const error = await failure(
      'Adrenoleukodystrophy: survey of 303 cases;Adrenoleukodystrophy is a genetically determined disorder;neurological\n',
    );
    expect(error.code).toBe('missing_header');
    expect(error.message).toContain('missing header');
    expect(error.details[0]!.line).toBe(1);
  });
});
