import { describe, expect, it } from 'vitest';
import { openCsv } from '#core/csv/csvReader.ts';
import { InputError } from '#core/errors.ts';
import { readCsvText } from '#web/page/csvFile.ts';
import { dominantLabel, segments, titleAndAbstractRanges } from '#web/page/highlight.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';

async function* bytesOf(text: string): AsyncGenerator<Uint8Array> {
  yield Buffer.from(text, 'utf8');
}

describe("the page's CSV reader", () => {
  it('reads the same records, fields and line numbers as the streaming reader the CLI uses', async () => {
    const text = `\ufeff${syntheticCsv({ rows: 120, delimiter: ';', seed: 5 })}\n\n`;
    const stream = await openCsv(bytesOf(text));
    const cli: { line: number; fields: string[] }[] = [];
    for await (const record of stream.records) cli.push({ line: record.line, fields: record.fields });

    const page = readCsvText(text);

    expect(page.header).toEqual(stream.header);
    expect(page.rows.map(({ line, fields }) => ({ line, fields }))).toEqual(cli);
    expect(page.rows.some((row) => row.fields.some((f) => f.includes('\n')))).toBe(true);
  });

  it('splits records at CR-only and mixed line ends exactly as the streaming reader does', async () => {
    const lines = syntheticCsv({ rows: 40, delimiter: ',', seed: 6 }).trimEnd().split('\n');
    const text = `${lines.map((line, i) => `${line}${['\r', '\r\n', '\n'][i % 3]}`).join('')}`;
    const stream = await openCsv(bytesOf(text));
    const cli: { line: number; fields: string[] }[] = [];
    for await (const record of stream.records) cli.push({ line: record.line, fields: record.fields });

    const page = readCsvText(text);

    expect(cli.length).toBeGreaterThan(30);
    expect(page.rows.map(({ line, fields }) => ({ line, fields }))).toEqual(cli);
    expect(page.rows.every((row) => row.fields.every((f) => !f.endsWith('\r')))).toBe(true);
  });

  it('refuses a file past the row limit, naming the first row beyond it', () => {
    const read = () => readCsvText(syntheticCsv({ rows: 6, labelled: false }), 5);

    expect(read).toThrow(InputError);
    expect(read).toThrow(/up to 5 rows and this file has 6/);
  });
});

describe('evidence highlighting', () => {
  const explanation = {
    cardio: {
      logit: 1,
      bias: -1,
      rest: 0,
      terms: [
        { text: 'troponin', weight: 1.5, spans: [[10, 18]] as [number, number][] },
        { text: 'renal', weight: -0.2, spans: [[23, 28]] as [number, number][] },
      ],
    },
    hepato: {
      logit: 2,
      bias: -1,
      rest: 0,
      terms: [{ text: 'renal', weight: 2.5, spans: [[23, 28]] as [number, number][] }],
    },
  };
  const text = 'Elevated  troponin and renal failure';

  it("cuts the text into plain runs and words carrying each label's weight, losing no character", () => {
    const parts = segments(text, explanation);

    expect(parts.map((p) => p.text).join('')).toBe(text);
    expect(parts.filter((p) => Object.keys(p.weights).length > 0)).toEqual([
      { text: 'troponin', weights: { cardio: 1.5 } },
      { text: 'renal', weights: { cardio: -0.2, hepato: 2.5 } },
    ]);
  });

  it('draws a word in the colour of the shown label it pushes hardest', () => {
    expect(dominantLabel({ cardio: -0.2, hepato: 2.5 }, ['cardio', 'hepato'])).toBe('hepato');
    expect(dominantLabel({ cardio: -0.2, hepato: 2.5 }, ['cardio'])).toBe('cardio');
    expect(dominantLabel({ cardio: -0.2 }, ['onco'])).toBeUndefined();
  });

  it('places the title and the abstract inside (title + " " + abstract).trim(), whatever their spaces', () => {
    for (const [title, abstract] of [
      ['A title', 'An abstract'],
      ['  padded ', ' text '],
      ['', 'Only abstract'],
      ['Only title', ''],
    ] as [string, string][]) {
      const input = `${title} ${abstract}`.trim();
      const ranges = titleAndAbstractRanges(title, abstract);

      expect(input.slice(...ranges.title).trim()).toBe(title.trim());
      expect(input.slice(...ranges.abstract).trim()).toBe(abstract.trim());
    }
  });
});
