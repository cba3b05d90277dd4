import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { MAX_FIELD_CHARS } from '#core/csv/csvHeader.ts';
import { InputError } from '#core/errors.ts';
import { DEFAULT_BATCH_ROWS, evaluateCsv, MAX_BATCH_CHARS } from '#core/pipeline/evaluateCsv.ts';
import { RESULT_FILES, summaryFiles } from '#core/pipeline/results.ts';
import { fakeClassifier } from '../support/fakeClassifier.ts';

async function run(text: string, batchSize = 2) {
  let out = '';
  const summary = await evaluateCsv(
    Readable.from([Buffer.from(text)]),
    fakeClassifier(),
    {
      write: (t) => {
        out += t;
      },
    },
    { batchSize },
  );
  return { out, summary };
}

async function failure(text: string): Promise<InputError> {
  try {
    await run(text);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('evaluating a CSV', () => {
  it('writes every input column, then group_predicted, the four probabilities, the kind of text and the confidence, one row per input row in order', async () => {
    const { out, summary } = await run('id;title;abstract\n1;Heart;failure\n2;Brain;and kidney\n3;x;y\n');
    expect(out.split('\n')).toEqual([
      'id,title,abstract,group_predicted,proba_cardiovascular,proba_hepatorenal,proba_neurological,proba_oncological,kind,confidence',
      '1,Heart,failure,cardiovascular,0.900000,0.110000,0.120000,0.130000,snippet,high',
      '2,Brain,and kidney,hepatorenal|neurological,0.100000,0.900000,0.900000,0.130000,snippet,high',
      '3,x,y,oncological,0.100000,0.110000,0.120000,0.130000,snippet,out_of_scope',
      '',
    ]);
    expect(summary.rows).toBe(3);
    expect(summary.labelled).toBe(false);
    expect(summary.metrics).toBeUndefined();
    expect(summary.predictedCounts).toEqual([1, 1, 1, 1]);
    expect(summary.kindCounts).toEqual({ real: 0, template: 0, snippet: 3 });
    expect(summary.confidenceCounts).toEqual({ high: 2, low: 0, out_of_scope: 1 });
  });

  it('quotes output fields per RFC 4180 whatever the input delimiter', async () => {
    const { out } = await run('title\tabstract\n"a, ""b"""\theart\n');
    expect(out.split('\n')[1]).toBe('"a, ""b""",heart,cardiovascular,0.900000,0.110000,0.120000,0.130000,snippet,high');
  });

  it('quotes a bare carriage return so that other CSV readers see one row, not two', async () => {
    const { out } = await run('title,abstract\n"Line one\rline two",heart\n');
    expect(out.split('\n')[1]).toBe(
      '"Line one\rline two",heart,cardiovascular,0.900000,0.110000,0.120000,0.130000,snippet,high',
    );
  });

  it('scores labelled files per label, with labels in full or short form and any case', async () => {
    const { summary } = await run(
      'title,abstract,group\nheart,,CARDIO\nbrain kidney,,neurological|Hepato\ntumor,,cardiovascular\n',
    );
    const m = summary.metrics!.result();
    expect(m.n_rows).toBe(3);
    expect(m.per_label.cardiovascular).toMatchObject({ tp: 1, fp: 0, fn: 1 });
    expect(m.per_label.oncological).toMatchObject({ tp: 0, fp: 1, fn: 0 });
    expect(m.subset_accuracy).toBeCloseTo(2 / 3, 12);
    // Every row here is a snippet, so that kind's metrics are the file's.
    expect(summary.metricsByKind!.snippet.result()).toEqual(m);
    expect(summary.metricsByKind!.real.result().n_rows).toBe(0);
  });
});

describe('a file with a header and no rows', () => {
  it('is refused, as the page refuses it, instead of giving metrics over no rows', async () => {
    for (const text of ['title,abstract,group\n', 'title,abstract,group', '\ntitle,abstract\n\n  \n']) {
      const error = await failure(text);
      expect(error.code).toBe('no_rows');
      expect(error.message).toBe('the file has a header and no rows: nothing to classify');
    }
    expect((await failure('\ntitle,abstract\n\n')).details).toEqual([{ line: 2, message: 'no rows after the header' }]);
  });

  it('is not refused as a slice of a larger file (fan-out), which may hold only blank lines', async () => {
    const summary = await evaluateCsv(
      Readable.from([Buffer.from('\n\n')]),
      fakeClassifier(),
      { write: () => {} },
      { header: { columns: ['title', 'abstract'], delimiter: ',', titleIndex: 0, abstractIndex: 1 }, firstLine: 10 },
    );
    expect(summary.rows).toBe(0);
  });
});

describe('rows that cannot be evaluated fail the file, each one named', () => {
  it('names a row whose title and abstract are both empty', async () => {
    const error = await failure('title,abstract\nok,text\n,\n');
    expect(error.code).toBe('invalid_rows');
    expect(error.details).toEqual([
      expect.objectContaining({ line: 3, field: 'title', message: 'title and abstract are both empty' }),
    ]);
  });

  it('quotes an unknown label and gives its line and column', async () => {
    const error = await failure('title;abstract;group\nt;a;cardio|pulmonary\n');
    expect(error.details[0]).toMatchObject({ line: 2, column: 3, field: 'group' });
    expect(error.details[0]!.message).toContain('"pulmonary"');
  });

  it('names a row with the wrong number of fields', async () => {
    const error = await failure('title,abstract\nt,a,extra\n');
    expect(error.details[0]).toMatchObject({ line: 2 });
    expect(error.details[0]!.message).toContain('expected 2 fields');
  });

  it('names an empty label inside a label set (`cardio|`, `neuro||onco`), as the README documents', async () => {
    const error = await failure('title;abstract;group\nt;a;cardio|\nt;a;neuro||onco\nt;a;| cardio\nt;a;neuro|lungs|\n');
    expect(error.details).toEqual([
      expect.objectContaining({
        line: 2,
        column: 3,
        field: 'group',
        message: expect.stringMatching(/^an empty label in "cardio\|"; expected/),
      }),
      expect.objectContaining({
        line: 3,
        column: 3,
        message: expect.stringMatching(/^an empty label in "neuro\|\|onco"/),
      }),
      expect.objectContaining({ line: 4, column: 3, message: expect.stringMatching(/^an empty label in "\| cardio"/) }),
      expect.objectContaining({
        line: 5,
        message: expect.stringMatching(/^unknown label "lungs" and an empty label in "neuro\|lungs\|"/),
      }),
    ]);
  });

  it('still reads labels with spaces around them, and an empty cell as "group is empty"', async () => {
    const { summary } = await run('title;abstract;group\nheart;x; cardio | neuro \n');
    expect(summary.rows).toBe(1);
    const error = await failure('title;abstract;group\nheart;x;  \n');
    expect(error.details[0]!.message).toBe('group is empty; every labelled row needs at least one label');
  });

  it('names a field longer than MAX_FIELD_CHARS by line and column, without giving the row to the model', async () => {
    const long = 'a'.repeat(MAX_FIELD_CHARS + 1);
    const classifier = fakeClassifier();
    const asked: string[][] = [];
    const watched = {
      ...classifier,
      classify: async (texts: readonly string[]) => {
        asked.push([...texts]);
        return classifier.classify(texts);
      },
    };
    const error = await evaluateCsv(
      Readable.from([Buffer.from(`id,title,abstract\n1,ok,heart\n2,t,${long}\n3,${long},${long}\n`)]),
      watched,
      { write: () => undefined },
      { batchSize: 1 },
    ).catch((e: unknown) => e as InputError);
    expect((error as InputError).details).toEqual([
      {
        line: 3,
        column: 3,
        field: 'abstract',
        message: `field of ${MAX_FIELD_CHARS + 1} characters; a field may hold at most ${MAX_FIELD_CHARS}`,
      },
      expect.objectContaining({ line: 4, column: 2, field: 'title' }),
      expect.objectContaining({ line: 4, column: 3, field: 'abstract' }),
    ]);
    expect(asked.flat()).toEqual(['ok heart']);
  });

  it('counts title + " " + abstract after NFKC, as the model reads it', async () => {
    // 5,600 × U+FDFA is 5,600 characters in the file and 100,800 for the model.
    const error = await failure(`title,abstract\nx,${'\uFDFA'.repeat(5_600)}\n`);
    expect(error.details).toEqual([
      {
        line: 2,
        column: 2,
        field: 'abstract',
        message: `title + " " + abstract is 100802 characters as the model reads it (after NFKC normalisation); at most ${MAX_FIELD_CHARS}`,
      },
    ]);
  });

  it('reports every bad row at once, with the total', async () => {
    const error = await failure('title,abstract,group\n,,cardio\nt,a,x\nt,a,\n');
    expect(error.details.map((d) => d.line)).toEqual([2, 3, 4]);
    expect(error.message).toMatch(/^3 problems/);
  });
});

describe('blank lines', () => {
  it('are not rows, and report.txt and report.html say how many were skipped; metrics.json keeps its shape', async () => {
    const { out, summary } = await run('\ntitle,abstract,group\nheart,,cardio\n   \n\nbrain,,neuro\n');
    expect(summary.rows).toBe(2);
    expect(out.trimEnd().split('\n')).toHaveLength(3);
    const files = summaryFiles('blank.csv', fakeClassifier().manifest, summary);
    expect(files.get(RESULT_FILES.reportText)).toContain('Blank lines skipped: 3');
    expect(files.get(RESULT_FILES.reportHtml)).toContain('<dt>Blank lines skipped</dt><dd>3</dd>');
    expect(Object.keys(JSON.parse(files.get(RESULT_FILES.metrics)!) as object)).not.toContain('blank_lines');
  });

  it('leave the report as it was when there are none', async () => {
    const { summary } = await run('title,abstract\nheart,x\n');
    expect(summaryFiles('clean.csv', fakeClassifier().manifest, summary).get(RESULT_FILES.reportText)).not.toContain(
      'Blank lines',
    );
  });
});

describe('cells a spreadsheet would run as formulas', () => {
  const FORMULAS =
    'id,title,abstract\n=1+2,"=HYPERLINK(""http://x"",""y"")",heart\n+cmd,@SUM(A1),-2+3\n-5,"\tx","\rheart"\n+1.5e3,ok,kidney\n';

  it('are written with a leading quote by default (OWASP); plain numbers such as -5 and +1.5e3 are left alone', async () => {
    const { out } = await run(FORMULAS);
    const cells = (parse(out, { relax_column_count: true }) as string[][]).map((row) => row.slice(0, 3));
    expect(cells).toEqual([
      ['id', 'title', 'abstract'],
      ["'=1+2", `'=HYPERLINK("http://x","y")`, 'heart'],
      ["'+cmd", "'@SUM(A1)", "'-2+3"],
      ['-5', "'\tx", "'\rheart"],
      ['+1.5e3', 'ok', 'kidney'],
    ]);
  });

  it('are written exactly as read with formulas: "keep"', async () => {
    let out = '';
    await evaluateCsv(
      Readable.from([Buffer.from(FORMULAS)]),
      fakeClassifier(),
      {
        write: (t) => {
          out += t;
        },
      },
      {
        formulas: 'keep',
      },
    );
    expect(out.split('\n')[1]).toMatch(/^=1\+2,"=HYPERLINK\(""http:\/\/x"",""y""\)",heart,/);
  });

  it('neutralise header names too', async () => {
    const { out } = await run('title,abstract,=cmd\nheart,x,1\n');
    expect(out.split('\n')[0]).toMatch(/^title,abstract,'=cmd,group_predicted/);
  });
});

describe('batches of rows per model call', () => {
  async function callSizes(csv: string, rowsPerCall?: number, batchSize?: number) {
    const sizes: number[] = [];
    const classifier = fakeClassifier({
      ...(rowsPerCall ? { rowsPerCall } : {}),
      onCall: (texts) => sizes.push(texts.length),
    });
    let out = '';
    await evaluateCsv(
      Readable.from([Buffer.from(csv)]),
      classifier,
      {
        write: (t) => {
          out += t;
        },
      },
      batchSize ? { batchSize } : {},
    );
    return { sizes, out };
  }
  const rows = (n: number, abstract = 'heart') =>
    `title;abstract\n${Array.from({ length: n }, (_, i) => `t${i};${abstract}`).join('\n')}\n`;

  it("take the model's rowsPerCall unless the caller names a batch size, and 256 when neither does", async () => {
    expect(DEFAULT_BATCH_ROWS).toBe(256);
    expect((await callSizes(rows(700))).sizes).toEqual([DEFAULT_BATCH_ROWS, DEFAULT_BATCH_ROWS, 188]);
    expect((await callSizes(rows(700), 300)).sizes).toEqual([300, 300, 100]);
    expect((await callSizes(rows(700), 300, 500)).sizes).toEqual([500, 200]);
  });

  it('end early when their fields and texts reach MAX_BATCH_CHARS, whatever the row count, and write the same rows', async () => {
    // A row counts its fields ("tN" and 90,000 characters) and its text ("tN " + the abstract): 180,005 characters
    // for t0..t9, 180,007 after, so the 24th row of a batch passes 2^22 = 4,194,304.
    const long = 'h'.repeat(90_000);
    const { sizes, out } = await callSizes(rows(100, long), 2048);
    expect(MAX_BATCH_CHARS).toBe(4_194_304);
    expect(sizes).toEqual([24, 24, 24, 24, 4]);
    // Columns the model does not read count too: 90,000 characters of notes beside a short title and abstract.
    const notes = `title;abstract;notes\n${Array.from({ length: 100 }, (_, i) => `t${i};heart;${'n'.repeat(90_000)}`).join('\n')}\n`;
    expect((await callSizes(notes, 2048)).sizes).toEqual([47, 47, 6]);
    const single = await callSizes(rows(100, long), 2048, 1);
    expect(single.sizes).toEqual(Array.from({ length: 100 }, () => 1));
    expect(out).toBe(single.out);
  });
});
