import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Classifier, loadClassifier } from '#core/classifier.ts';
import { ExplanationUnsupportedError, formatEvidence } from '#core/explanation.ts';
import { type EvidenceOptions, evaluateCsv } from '#core/pipeline/evaluateCsv.ts';
import {
  keepWorst,
  MAX_MISCLASSIFIED,
  MisclassifiedCollector,
  probabilityError,
} from '#core/pipeline/misclassified.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { fakeClassifier } from '../support/fakeClassifier.ts';

let classifier: Classifier;
beforeAll(async () => {
  classifier = await loadClassifier();
});
afterAll(async () => classifier?.dispose());

async function run(csv: string, evidence?: EvidenceOptions, model: Classifier = classifier) {
  let out = '';
  const summary = await evaluateCsv(
    Readable.from([Buffer.from(csv)]),
    model,
    {
      write: (t) => {
        out += t;
      },
    },
    { batchSize: 16, ...(evidence ? { evidence } : {}) },
  );
  return { rows: parse(out) as string[][], out, summary };
}

describe('the evidence column', () => {
  it('is added last, and lists for each predicted label (short name) its strongest words with signed weights', async () => {
    const { rows } = await run(syntheticCsv({ rows: 30, seed: 3 }), { top: 3, column: true, misclassified: false });
    expect(rows[0]!.at(-1)).toBe('evidence');
    for (const row of rows.slice(1)) {
      const predicted = row[3]!.split('|');
      const cell = row.at(-1)!;
      const labels = cell.split('; ').map((part) => part.slice(0, part.indexOf(':')));
      expect(labels).toEqual(
        predicted.map(
          (l) => ({ cardiovascular: 'cardio', hepatorenal: 'hepato', neurological: 'neuro', oncological: 'onco' })[l],
        ),
      );
      for (const part of cell.split('; ')) {
        const words = part.slice(part.indexOf(':') + 1).split(',');
        expect(words.length).toBeLessThanOrEqual(3);
        for (const word of words) expect(word).toMatch(/^ \S+ [+-]\d+\.\d\d$/);
      }
    }
  });

  it('is absent without evidence options, leaving the predictions as they were', async () => {
    const csv = syntheticCsv({ rows: 20, seed: 4 });
    const plain = await run(csv);
    const reportOnly = await run(csv, { top: 10, column: false, misclassified: true });
    expect(reportOnly.out).toBe(plain.out);
    expect(plain.rows[0]!).not.toContain('evidence');
  });

  it('cannot be asked of a model that does not explain', async () => {
    await expect(
      run('title,abstract\nheart,x\n', { top: 3, column: true, misclassified: false }, fakeClassifier()),
    ).rejects.toBeInstanceOf(ExplanationUnsupportedError);
  });

  it('quotes words that contain its separators, so the cell stays readable', () => {
    const cell = formatEvidence([
      {
        label: 0,
        terms: [
          { text: 'troponin', weight: 1.916, spans: [] },
          { text: ',', weight: -0.004, spans: [] },
        ],
      },
      { label: 2, terms: [{ text: 'a;b', weight: 0.5, spans: [] }] },
    ]);
    expect(cell).toBe('cardio: troponin +1.92, "," -0.00; neuro: "a;b" +0.50');
  });
});

describe('errors to look at', () => {
  it('keeps the misclassified rows of a labelled file, worst first, each explained for its true and predicted labels', async () => {
    const lines = syntheticCsv({ rows: 60, seed: 5 }).trimEnd().split('\n');
    // Wrong labels on purpose: these rows must come out misclassified.
    lines.push(
      'Acute myocardial infarction,Troponin rose after chest pain,oncological',
      'Glioma,Brain tumor resection,hepatorenal',
    );
    const [infarctionLine, gliomaLine] = [lines.length - 1, lines.length];
    const { summary } = await run(`${lines.join('\n')}\n`, { top: 4, column: false, misclassified: true });
    const rows = summary.misclassified!;
    expect(rows.map((r) => r.line)).toEqual(expect.arrayContaining([infarctionLine, gliomaLine]));
    for (let i = 1; i < rows.length; i++)
      expect(
        rows[i - 1]!.error > rows[i]!.error ||
          (rows[i - 1]!.error === rows[i]!.error && rows[i - 1]!.line < rows[i]!.line),
      ).toBe(true);
    for (const row of rows) {
      expect(row.truth).not.toEqual(row.predicted);
      expect(row.error).toBe(probabilityError(row.truth, row.proba));
      expect(row.evidence!.map((e) => e.label)).toEqual([...new Set([...row.truth, ...row.predicted])].sort());
      for (const e of row.evidence!) expect(e.terms.length).toBeLessThanOrEqual(4);
    }
    const infarction = rows.find((r) => r.line === infarctionLine)!;
    expect(infarction.title).toBe('Acute myocardial infarction');
    expect(infarction.text).toBe('Acute myocardial infarction Troponin rose after chest pain');
  });

  it('are not collected for a file without labels', async () => {
    const { summary } = await run(syntheticCsv({ rows: 10, labelled: false }), {
      top: 4,
      column: false,
      misclassified: true,
    });
    expect(summary.misclassified).toBeUndefined();
  });

  it('are listed without evidence when the model cannot explain', async () => {
    const { summary } = await run(
      'title,abstract,group\nheart,x,oncological\n',
      { top: 4, column: false, misclassified: true },
      fakeClassifier(),
    );
    expect(summary.misclassified).toHaveLength(1);
    expect(summary.misclassified![0]!.evidence).toBeUndefined();
  });

  it('are the same rows in the same order whether kept per chunk and merged, or kept over the whole file', async () => {
    const row = fc.record({
      line: fc.integer({ min: 2, max: 10_000 }),
      truth: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }).map((t) => t.sort()),
      proba: fc.array(fc.constantFrom(0, 0.1, 0.25, 0.5, 0.9, 1), { minLength: 4, maxLength: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(row, { selector: (r) => r.line, maxLength: 300 }),
        fc.integer({ min: 1, max: 7 }),
        async (rows, chunks) => {
          const offered = rows.map((r) => ({
            ...r,
            title: '',
            abstract: '',
            text: '',
            kind: 'real' as const,
            predicted: r.proba.flatMap((p, l) => (p >= 0.5 ? [l] : [])),
          }));
          const whole = new MisclassifiedCollector();
          for (const r of offered) whole.offer(r);
          const parts = Array.from({ length: chunks }, () => new MisclassifiedCollector());
          offered.forEach((r, i) => {
            parts[i % chunks]!.offer(r);
          });
          const finish = (c: MisclassifiedCollector) => c.finish(fakeClassifier(), 1);
          const [all, ...each] = await Promise.all([finish(whole), ...parts.map(finish)]);
          expect(keepWorst(each.flat())).toEqual(all);
          expect(all!.length).toBeLessThanOrEqual(MAX_MISCLASSIFIED);
        },
      ),
      { numRuns: 100, seed: 21 },
    );
  });
});
