import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PREDICTION_COLUMNS } from '#core/csv/predictionsCsv.ts';
import { InputError } from '#core/errors.ts';
import { readPageCsv } from '#web/page/csvFile.ts';
import { main as evaluateCli } from '../../scripts/evaluate.ts';
import { watchErrors } from './browser.ts';
import { stackAndBrowser } from './harness.ts';

/**
 * Issue 14 item 6: the page and the CLI read CSV with the same code, so the same bytes give the same rows or the
 * same error. One table of cases, run through `npm run evaluate` (its predictions.csv or error.json), through the
 * page's reading module in Node, and through the page itself in Chromium (its predictions.csv or its error).
 */
const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const CASES: [string, Buffer][] = [
  [
    'Excel sep=; first line',
    Buffer.from('sep=;\r\ntitle;abstract;group\r\nChest pain, acute;Troponin rise;cardio\r\n'),
  ],
  ['blank lines before the header', Buffer.from('\n   \n\ntitle,abstract\nRenal failure,Dialysis after cirrhosis\n')],
  [
    'CR-only line ends',
    Buffer.from('title,abstract,group\rStroke,Thrombectomy outcomes,neuro\rTumour,Chemotherapy,onco\r'),
  ],
  ['mixed line ends', Buffer.from('title,abstract\r\nT1,Heart failure\nT2,Liver cirrhosis\rT3,Glioma\r\n')],
  ['UTF-8 BOM', Buffer.from('\ufefftitle;abstract\nÉtude rénale;Insuffisance rénale aiguë\n')],
  ['a Latin-1 byte', Buffer.from('title;abstract\nHeart;ok\nCaf\u00e9 study;r\u00e9nal\n', 'latin1')],
  ['UTF-16 with BOM', utf16('title\tabstract\nT\tA\n')],
  [
    'quotes across lines',
    Buffer.from('title,abstract\n"Multi\nline title","An ""abstract"", with\r\nlines"\nNext,Row\n'),
  ],
  ['bad rows (shared row checks)', Buffer.from('title,abstract,group\nok,fine,cardio\n,,onco\nt,a,lungs\n')],
  ['a header and no rows', Buffer.from('title,abstract,group\n\n')],
  ['an unclosed quote', Buffer.from('title,abstract\nHeart,fine\nLiver,"cirrhosis\nKidney,dialysis\n')],
];

type Outcome = { rows: string[][] } | { error: { code: string; message: string; details: unknown[] } };

let dir: string;
const cli = new Map<string, { outcome: Outcome; predictions?: string }>();
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cac-csvcases-'));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    for (const [name, bytes] of CASES) {
      const file = join(dir, `${cli.size}.csv`);
      await writeFile(file, bytes);
      const out = join(dir, `out-${cli.size}`);
      const code = await evaluateCli([file, '--out', out, '--quiet']);
      if (code === 0) {
        const predictions = await readFile(join(out, 'predictions.csv'), 'utf8');
        const records = parse(predictions) as string[][];
        const width = records[0]!.length - PREDICTION_COLUMNS.length;
        cli.set(name, { outcome: { rows: records.slice(1).map((r) => r.slice(0, width)) }, predictions });
      } else {
        const { error } = JSON.parse(await readFile(join(out, 'error.json'), 'utf8')) as {
          error: { code: string; message: string; details: unknown[] };
        };
        cli.set(name, { outcome: { error } });
      }
    }
  } finally {
    vi.restoreAllMocks();
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function* chunks(bytes: Buffer, size = 5): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield new Uint8Array(bytes.subarray(i, i + size));
}

describe("the page's reading module in Node and npm run evaluate, on the same bytes", () => {
  it.each(CASES)('%s: the same rows or the same error', async (name, bytes) => {
    let page: Outcome;
    try {
      const csv = await readPageCsv(chunks(bytes));
      page = { rows: csv.rows.map((r) => r.fields) };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      page = { error: { code: error.code, message: error.message, details: error.details } };
    }
    expect(page).toEqual(cli.get(name)!.outcome);
  });

  it('covers both outcomes: some cases are read, some refused', () => {
    const outcomes = [...cli.values()].map((c) => ('rows' in c.outcome ? 'rows' : c.outcome.error.code));
    expect(outcomes).toEqual([
      'rows',
      'rows',
      'rows',
      'rows',
      'rows',
      'invalid_utf8',
      'unsupported_encoding',
      'rows',
      'invalid_rows',
      'no_rows',
      'malformed_csv',
    ]);
  });
});

describe('the page in Chromium and npm run evaluate, on the same bytes', () => {
  const h = stackAndBrowser();

  it.each(CASES)('%s: the same predictions.csv or the same error message', async (name, bytes) => {
    const page = await h.browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${h.stack.apiUrl}/`);
    await page.getByTestId('csv-input').setInputFiles({ name: 'case.csv', mimeType: 'text/csv', buffer: bytes });
    await page.locator('#csv-errors p, #csv-done:not([hidden])').first().waitFor();
    const expected = cli.get(name)!;

    if ('error' in expected.outcome) {
      expect(await page.locator('#csv-errors p').textContent()).toBe(expected.outcome.error.message);
      expect(await page.getByTestId('csv-download').isVisible()).toBe(false);
    } else {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-download').click()]);
      expect(await readFile((await download.path())!, 'utf8')).toBe(expected.predictions);
    }
    expect(errors).toEqual([]);
    await page.close();
  });
});
