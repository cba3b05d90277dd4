import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { detectDelimiter, headerFrom, MAX_RECORD_CHARS, openCsv, type CsvRecord } from '#core/csv/csvReader.ts';
import { InputError } from '#core/errors.ts';

const source = (text: string, chunkSize = 7): AsyncIterable<Uint8Array> => {
  const bytes = Buffer.from(text, 'utf8');
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return Readable.from(chunks);
};

async function readAll(text: string): Promise<{ columns: string[]; delimiter: string; records: CsvRecord[]; groupIndex?: number }> {
  const csv = await openCsv(source(text));
  const records: CsvRecord[] = [];
  for await (const r of csv.records) records.push(r);
  return { columns: csv.header.columns, delimiter: csv.header.delimiter, records, ...(csv.header.groupIndex === undefined ? {} : { groupIndex: csv.header.groupIndex }) };
}

async function failure(text: string): Promise<InputError> {
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
    const { delimiter, records, groupIndex } = await readAll('title;abstract;group\nT1;A1;neurological\nT2;A2;cardio|onco\n');
    expect(delimiter).toBe(';');
    expect(groupIndex).toBe(2);
    expect(records.map((r) => r.fields)).toEqual([['T1', 'A1', 'neurological'], ['T2', 'A2', 'cardio|onco']]);
  });

  it('strips a UTF-8 BOM and accepts CRLF line ends', async () => {
    const { columns, records } = await readAll('\ufefftitle,abstract\r\nT1,A1\r\nT2,A2\r\n');
    expect(columns).toEqual(['title', 'abstract']);
    expect(records.map((r) => [r.line, ...r.fields])).toEqual([[2, 'T1', 'A1'], [3, 'T2', 'A2']]);
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
    expect(records.map((r) => r.endByte)).toEqual([Buffer.byteLength('\ufefftitle,abstract\nT,A\n'), Buffer.byteLength(text)]);
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
  });

  it('rejects a record over the size limit instead of buffering the rest of the file', async () => {
    const error = await failure(`title,abstract\nT,"${'x'.repeat(MAX_RECORD_CHARS + 10)}`);
    expect(error.code).toBe('malformed_csv');
    expect(error.details[0]!.line).toBe(2);
  });

  it('numbers syntax errors in a slice of a file from the slice\'s first line', async () => {
    const csv = await openCsv(source('a,b\n"open,quote\n'), { header: headerFrom(['title', 'abstract'], ','), firstLine: 5000 });
    const error = await (async () => {
      try {
        for await (const _ of csv.records) void _;
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected an InputError');
    })();
    expect(error.details[0]!.line).toBeGreaterThanOrEqual(5001);
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
