import { describe, expect, it } from 'vitest';
import { openCsv } from '#core/csv/csvReader.ts';
import { InputError } from '#core/errors.ts';
import { batchEnds } from '#web/page/csvBatch.ts';
import { readPageCsv } from '#web/page/csvFile.ts';
import { isNoise, shownTerms, strengthOf } from '#web/page/evidenceScale.ts';
import { dominantLabel, segments, titleAndAbstractRanges } from '#web/page/highlight.ts';
import { curlSnippet, fetchSnippet } from '#web/page/snippets.ts';
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

    const page = await readPageCsv(bytesOf(text));

    expect(page.header).toEqual(stream.header);
    expect(page.rows.map(({ line, fields }) => ({ line, fields }))).toEqual(cli);
    expect(page.rows.some((row) => row.fields.some((f) => f.includes('\n')))).toBe(true);
  });

  it('refuses a file past the row limit, naming the first row beyond it', async () => {
    const read = readPageCsv(bytesOf(syntheticCsv({ rows: 6, labelled: false })), { maxRows: 5 });

    await expect(read).rejects.toThrow(InputError);
    await expect(read).rejects.toThrow(/up to 5 rows and this file has more/);
    await expect(read).rejects.toMatchObject({ details: [{ line: 7 }] });
  });

  it("refuses a row longer than the API's max_text_chars, with its line, instead of failing at /predict", async () => {
    const text = `title,abstract\nshort,fine\nlong,${'x'.repeat(60)}\n`;

    const read = readPageCsv(bytesOf(text), { maxTextChars: 50 });

    await expect(read).rejects.toMatchObject({
      code: 'invalid_rows',
      details: [
        {
          line: 3,
          column: 2,
          field: 'abstract',
          message: expect.stringMatching(/65 characters as the model reads it .*; the API takes at most 50/),
        },
      ],
    });
  });

  it('counts a row as the API does, after NFKC: three U+FDFA are 54 characters, not 3', async () => {
    const text = 'title,abstract\nt,\ufdfa\ufdfa\ufdfa\n';

    const read = readPageCsv(bytesOf(text), { maxTextChars: 50 });

    await expect(read).rejects.toMatchObject({
      details: [{ line: 2, message: expect.stringMatching(/56 characters as the model reads it/) }],
    });
  });
});

describe('batches for /predict', () => {
  const limits = { max_texts: 3, max_text_chars: 1000, max_body_bytes: 60 };

  it("hold at most the server's max_texts texts and max_body_bytes bytes each", () => {
    const texts = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    expect(batchEnds(texts, limits)).toEqual([3, 6, 7]);
    // {"texts":[]} is 12 bytes, each "xxxxxxxxxxxxxxxxxxxx" 22, plus a comma: two fit in 60, three do not.
    const long = Array.from({ length: 5 }, () => 'x'.repeat(20));
    const ends = batchEnds(long, limits);
    expect(ends).toEqual([2, 4, 5]);
    let start = 0;
    for (const end of ends) {
      expect(new TextEncoder().encode(JSON.stringify({ texts: long.slice(start, end) })).length).toBeLessThanOrEqual(
        60,
      );
      start = end;
    }
  });

  it('name the line of a text that no request could carry', () => {
    expect(() => batchEnds(['ok', 'y'.repeat(100)], limits, [2, 3])).toThrow(/^line 3: the text is 102 bytes as JSON/);
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

describe('the evidence scale (absolute: the same weight looks the same in every text)', () => {
  it.each([
    ['troponin', 0.49, 0],
    ['troponin', -0.5, 1],
    ['troponin', 1.49, 1],
    ['troponin', 1.5, 2],
    ['troponin', 4, 3],
    ['troponin', -12, 3],
  ])('draws %s with weight %d at level %d', (text, weight, level) => {
    expect(strengthOf(text, weight)).toBe(level);
  });

  it('keeps function words and numbers out unless they carry real weight', () => {
    expect(['in', 'The', '0.001', '24', '5%', '(', '±2.5'].map((t) => strengthOf(t, 1.2))).toEqual([
      0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(strengthOf('in', 1.5)).toBe(2);
    expect(isNoise('kidney')).toBe(false);
  });

  it("lists a label's strongest words without the noise, saying how many were left out", () => {
    const evidence = {
      logit: 1,
      bias: 0,
      rest: 0,
      terms: [
        { text: 'kidney', weight: 5, spans: [] },
        { text: 'with', weight: 0.9, spans: [] },
        { text: 'renal', weight: -0.6, spans: [] },
        { text: 'patients', weight: 0.2, spans: [] },
      ],
    };
    expect(shownTerms(evidence, 6)).toEqual({ terms: [evidence.terms[0], evidence.terms[2]], hidden: 2 });
  });
});

describe('the "call this from code" snippets', () => {
  const input = { url: 'http://127.0.0.1:8000/predict', title: "Crohn's disease", abstract: 'Line one\nline "two"' };

  it('quote the text for a POSIX shell, however it is written', () => {
    expect(curlSnippet(input)).toBe(
      [
        "curl -X POST 'http://127.0.0.1:8000/predict' \\",
        "  -H 'Content-Type: application/json' \\",
        `  -d '{"items":[{"title":"Crohn'\\''s disease","abstract":"Line one\\nline \\"two\\""}]}'`,
      ].join('\n'),
    );
  });

  it('give fetch the same body as JSON', () => {
    const code = fetchSnippet(input);
    const literal = code.slice(code.indexOf('JSON.stringify(') + 15, code.lastIndexOf('),'));
    expect(JSON.parse(literal)).toEqual({ items: [{ title: input.title, abstract: input.abstract }] });
    expect(code).toContain('fetch("http://127.0.0.1:8000/predict"');
  });
});
