import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT, UsageError } from '../../scripts/cli.ts';
import { main } from '../../scripts/evaluate.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { buildTinyBertModel, hasSharedBert } from '../bert/tinyModel.ts';
import { startTestStack } from '../support/localStack.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cac-cli-explain-'));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const header = async (out: string): Promise<string[]> =>
  (parse(await readFile(join(out, 'predictions.csv'), 'utf8')) as string[][])[0]!;
const cells = async (out: string): Promise<string[]> =>
  (parse(await readFile(join(out, 'predictions.csv'), 'utf8')) as string[][]).slice(1).map((r) => r.at(-1)!);

describe('npm run evaluate -- --explain [n]', () => {
  it('adds the evidence column with n words per predicted label', async () => {
    await writeFile(join(dir, 'in.csv'), syntheticCsv({ rows: 12, seed: 7 }));
    expect(await main([join(dir, 'in.csv'), '--out', join(dir, 'three'), '--explain', '3'])).toBe(EXIT.ok);
    expect((await header(join(dir, 'three'))).at(-1)).toBe('evidence');
    for (const cell of await cells(join(dir, 'three')))
      for (const part of cell.split('; ')) expect(part.split(',').length).toBeLessThanOrEqual(3);
  });

  it('uses 10 words when no count follows, also when the input comes next', async () => {
    await writeFile(
      join(dir, 'long.csv'),
      'title,abstract\nAcute myocardial infarction,"Troponin and creatine kinase rose after chest pain; coronary angiography showed stenosis of the left anterior descending artery, treated with a stent and heparin."\n',
    );
    expect(await main(['--explain', join(dir, 'long.csv'), '--out', join(dir, 'ten')])).toBe(EXIT.ok);
    const [cell] = await cells(join(dir, 'ten'));
    expect(cell!.split('; ')[0]!.split(',')).toHaveLength(10);
  });

  it('writes no evidence column without --explain, but still a report with the errors to look at', async () => {
    await writeFile(
      join(dir, 'wrong.csv'),
      'title,abstract,group\nAcute myocardial infarction,Troponin rose after chest pain,oncological\n',
    );
    expect(await main([join(dir, 'wrong.csv'), '--out', join(dir, 'plain')])).toBe(EXIT.ok);
    expect(await header(join(dir, 'plain'))).not.toContain('evidence');
    const html = await readFile(join(dir, 'plain', 'report.html'), 'utf8');
    expect(html).toContain('<h2>Errors to look at</h2>');
    expect(html).toMatch(/<mark class="l0"[^>]*>Troponin<\/mark>/);
  });

  it('rejects a count outside 1..100 or not a number as a usage error', async () => {
    await writeFile(join(dir, 'ok.csv'), syntheticCsv({ rows: 2 }));
    for (const bad of [['--explain', '0'], ['--explain', '101'], ['--explain=abc']]) {
      await expect(
        main([join(dir, 'ok.csv'), '--out', join(dir, 'bad'), ...bad]),
        bad.join(' '),
      ).rejects.toBeInstanceOf(UsageError);
    }
  });

  it.skipIf(!hasSharedBert)('refuses --explain for a bert-onnx model, naming the backend', async () => {
    await buildTinyBertModel(join(dir, 'bert'), { seed: 3 });
    await writeFile(join(dir, 'ok.csv'), syntheticCsv({ rows: 2 }));
    await expect(
      main([join(dir, 'ok.csv'), '--model', join(dir, 'bert'), '--out', join(dir, 'bert-out'), '--explain']),
    ).rejects.toThrow(/bert-onnx/);
  });
});

describe('the same words drive the same labels everywhere', () => {
  it("in the API's explanation, the CLI's evidence column and the report's highlighted errors", async () => {
    const title = 'Acute myocardial infarction in a patient with glioma';
    const abstract = 'Troponin rose after chest pain; the brain tumor was resected before coronary angiography.';
    const stack = await startTestStack();
    type Explained = {
      labels_short: string[];
      explanation: Record<string, { terms: { text: string; weight: number }[] }>;
    };
    let api: Explained;
    try {
      const res = await fetch(`${stack.apiUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ title, abstract }], explain: true, explain_top: 4 }),
      });
      api = ((await res.json()) as Explained[])[0]!;
    } finally {
      await stack.stop();
    }
    // The API's terms written the way the column writes them.
    const expected = api.labels_short.map(
      (label) =>
        `${label}:${api.explanation[label]!.terms.map((t) => ` ${t.text} ${t.weight < 0 ? '-' : '+'}${Math.abs(t.weight).toFixed(2)}`).join(',')}`,
    );

    // Labelled "hepatorenal", which the model does not predict, so the row is one of the errors to look at.
    await writeFile(join(dir, 'one.csv'), `title,abstract,group\n"${title}","${abstract}",hepatorenal\n`);
    expect(await main([join(dir, 'one.csv'), '--out', join(dir, 'one'), '--explain', '4'])).toBe(EXIT.ok);
    const [cell] = await cells(join(dir, 'one'));
    expect(cell!.split('; ')).toEqual(expected);

    const html = await readFile(join(dir, 'one', 'report.html'), 'utf8');
    const line = /<p class="evidence-line">(.*?)<\/p>/
      .exec(html)![1]!
      .replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)));
    for (const part of expected) expect(line.split('; ')).toContain(part);
    for (const label of api.labels_short) {
      const strongest = api.explanation[label]!.terms[0]!.text;
      expect(html.toLowerCase()).toMatch(
        new RegExp(`<mark class="l\\d( neg)?" title="[^"]*${label} [+-]\\d\\.\\d\\d[^"]*">${strongest}</mark>`),
      );
    }
  });
});
