import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openCsv } from '#core/csv/csvReader.ts';
import { strengthOf } from '#web/page/evidenceScale.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { main as evaluateCli } from '../../scripts/evaluate.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { startTestStack } from '../support/localStack.ts';
import { cspViolations, launchChromium, recordCspViolations, watchErrors } from './browser.ts';
import { stackAndBrowser } from './harness.ts';

/** Screenshots for people to look at; git-ignored. */
const OUTPUT_DIR = join(REPO_ROOT, 'test-output');
/** The shared data set sits beside the repository in CI; without it the test writes its own labelled rows. */
const SHARED_TRAIN = resolve(REPO_ROOT, '..', 'shared', 'data', 'challenge_train.csv');

const h = stackAndBrowser();
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cac-page-'));
  await mkdir(OUTPUT_DIR, { recursive: true });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

interface ApiPrediction {
  input: string;
  proba: Record<string, number>;
  labels_short: string[];
  labels: string[];
  explanation: Record<string, { terms: { text: string; weight: number; spans: [number, number][] }[] }>;
}

async function apiPredict(item: { title: string; abstract: string }): Promise<ApiPrediction> {
  const res = await fetch(`${h.stack.apiUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [item], explain: true }),
  });
  return ((await res.json()) as ApiPrediction[])[0]!;
}

/** A page on the local stack that records console errors, exceptions and CSP violations. */
async function openPage(url = h.stack.apiUrl): Promise<{ page: Page; errors: string[] }> {
  const page = await h.browser.context.newPage();
  const errors = watchErrors(page);
  await recordCspViolations(page);
  await page.goto(`${url}/`);
  return { page, errors };
}

async function expectNoErrors(page: Page, errors: string[]): Promise<void> {
  expect(await cspViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
}

describe('the web page in Chromium', () => {
  it('classifies an example: chips for the predicted labels, each probability, and the evidence words highlighted', async () => {
    const { page, errors } = await openPage();

    await page.locator('[data-example="cardio-abstract"]').click();
    await page.getByTestId('label-chip').first().waitFor();
    const source = {
      title: await page.getByTestId('title-input').inputValue(),
      abstract: await page.getByTestId('abstract-input').inputValue(),
    };
    const expected = await apiPredict(source);
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-example.png'), fullPage: true });

    expect(await page.getByTestId('label-chip').allTextContents()).toEqual(expected.labels);
    for (const [short, p] of Object.entries(expected.proba))
      expect(await page.getByTestId(`proba-${short}`).textContent()).toBe(p.toFixed(3));
    // Every span of the predicted labels' terms that reaches the evidence scale (issue 17: an absolute scale, noise
    // left out) is marked, with the text at that span, in a predicted label's colour.
    const strongest = new Map<string, number>();
    for (const label of expected.labels_short)
      for (const term of expected.explanation[label]!.terms)
        for (const [s, e] of term.spans)
          strongest.set(`${s}:${e}`, Math.max(strongest.get(`${s}:${e}`) ?? 0, Math.abs(term.weight)));
    const spans = new Map<string, string>();
    for (const [key, weight] of strongest) {
      const [s, e] = key.split(':').map(Number) as [number, number];
      if (strengthOf(expected.input.slice(s, e).trim(), weight) > 0) spans.set(key, expected.input.slice(s, e));
    }
    expect(spans.size).toBeGreaterThan(5);
    const marks = page.getByTestId('evidence').locator('mark');
    expect((await marks.allTextContents()).sort()).toEqual([...spans.values()].sort());
    const classes = await marks.evaluateAll((nodes) => nodes.map((n) => n.className));
    for (const className of classes)
      expect(expected.labels_short.some((l) => className.includes(`label-${l}`))).toBe(true);
    expect(await marks.first().getAttribute('title')).toMatch(/[+−]\d\.\d{3}/);
    await expectNoErrors(page, errors);
    await page.close();
  });

  it('shows a title and abstract holding <script> and <img onerror> as literal text, running neither', async () => {
    const { page, errors } = await openPage();
    const title = '<script>window.__xss = "script"</script> Troponin';
    const abstract =
      '<img src=x onerror="window.__xss = \'img\'"> Chest pain with elevated troponin & <b>bold</b> claims.';

    await page.getByTestId('title-input').fill(title);
    await page.getByTestId('abstract-input').fill(abstract);
    await page.getByTestId('classify-button').click();
    await page.getByTestId('label-chip').first().waitFor();

    const shown = await page.getByTestId('evidence').textContent();
    expect(shown).toContain(title);
    expect(shown).toContain(abstract);
    expect(await page.locator('#result img, #result script, #result b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
    await expectNoErrors(page, errors);
    await page.close();
  });

  it('can be used with the keyboard alone, with a visible focus ring', async () => {
    const { page, errors } = await openPage();
    const tabTo = async (testId: string): Promise<void> => {
      for (let i = 0; i < 15; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate((id) => document.activeElement?.getAttribute('data-testid') === id, testId)) return;
      }
      throw new Error(`Tab never reached ${testId}`);
    };

    await tabTo('title-input');
    await page.keyboard.type('Glioblastoma resection');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Outcomes of surgery and temozolomide for glioblastoma multiforme in adults.');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    const focused = await page.evaluate(() => document.activeElement?.getAttribute('data-testid'));
    await page.keyboard.press('Enter');
    await page.getByTestId('label-chip').first().waitFor();
    const expected = await apiPredict({
      title: 'Glioblastoma resection',
      abstract: 'Outcomes of surgery and temozolomide for glioblastoma multiforme in adults.',
    });

    expect(focused).toBe('classify-button');
    expect(outline).not.toBe('none');
    expect(await page.getByTestId('label-chip').allTextContents()).toEqual(expected.labels);
    // The result took focus (issue 17); the example buttons are just before it.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('result');
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('example-button');
    await page.keyboard.press('Space');
    await page.getByTestId('label-chip').first().waitFor();
    await expect.poll(() => page.getByTestId('title-input').inputValue()).not.toBe('Glioblastoma resection');
    await expectNoErrors(page, errors);
    await page.close();
  });

  it('labels every control, and keeps chip and label text readable (contrast at least 4.5:1)', async () => {
    const { page, errors } = await openPage();
    await page.locator('[data-example="hepato-abstract"]').click();
    await page.getByTestId('label-chip').first().waitFor();

    expect(await page.getByLabel('Title', { exact: true }).getAttribute('data-testid')).toBe('title-input');
    expect(await page.getByLabel('Abstract', { exact: true }).getAttribute('data-testid')).toBe('abstract-input');
    expect(await page.getByLabel(/^Choose a CSV file/).getAttribute('data-testid')).toBe('csv-input');
    const ratios = await page.evaluate(() => {
      const rgb = (color: string) => (color.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
      const luminance = (color: string) => {
        const [r, g, b] = rgb(color).map((v) => {
          const c = v / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const background = (el: Element): string => {
        for (let node: Element | null = el; node; node = node.parentElement) {
          const bg = getComputedStyle(node).backgroundColor;
          if (bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
        }
        return 'rgb(255, 255, 255)';
      };
      const selector =
        '[data-testid="label-chip"], .proba-name, .proba-value, .proba-threshold, .hint, mark.ev, .status, button, .masthead a, .tagline, .result-summary, .legend span, .hint-inline, .example-kind, .top-terms li span';
      return Array.from(document.querySelectorAll(selector)).map((el) => {
        const [a, b] = [luminance(getComputedStyle(el).color), luminance(background(el))];
        return { text: el.textContent?.slice(0, 30), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
      });
    });

    expect(ratios.length).toBeGreaterThan(10);
    for (const { text, ratio } of ratios) expect(ratio, text).toBeGreaterThanOrEqual(4.5);
    await expectNoErrors(page, errors);
    await page.close();
  });

  it("classifies a 300-row labelled CSV in batches: its predictions.csv and metrics.json equal npm run evaluate's", async () => {
    const csvPath = join(work, 'labelled.csv');
    await writeFile(
      csvPath,
      existsSync(SHARED_TRAIN)
        ? await firstRecords(SHARED_TRAIN, 300)
        : syntheticCsv({ rows: 300, delimiter: ';', seed: 11 }),
    );
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await evaluateCli([csvPath, '--out', join(work, 'cli'), '--quiet'])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    const cliPredictions = await readFile(join(work, 'cli', 'predictions.csv'), 'utf8');
    const cliMetrics = await readFile(join(work, 'cli', 'metrics.json'), 'utf8');
    const { page, errors } = await openPage();

    await page.getByTestId('csv-input').setInputFiles(csvPath);
    await page.getByTestId('csv-download').waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('csv-download').click()]);
    const pagePredictions = await readFile((await download.path())!, 'utf8');
    const [metricsDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('csv-metrics-download').click(),
    ]);
    const pageMetrics = await readFile((await metricsDownload.path())!, 'utf8');
    await page.locator('#csv-heading').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-csv.png'), fullPage: true });

    const labels = (text: string) =>
      (parse(text, { columns: true }) as Record<string, string>[]).map((row) => row.group_predicted);
    expect(download.suggestedFilename()).toBe('predictions.csv');
    expect(labels(pagePredictions)).toHaveLength(300);
    expect(labels(pagePredictions)).toEqual(labels(cliPredictions));
    expect(pagePredictions).toBe(cliPredictions);
    expect(JSON.parse(pageMetrics)).toEqual(JSON.parse(cliMetrics));
    expect(await page.getByTestId('results-table').locator('tbody tr').count()).toBe(25);
    if (existsSync(SHARED_TRAIN))
      expect(await page.getByTestId('in-sample').textContent()).toMatch(
        /^In-sample scores\. 300 of 300 rows \(100 %\) are training rows of the model/,
      );
    const metrics = JSON.parse(cliMetrics) as { weighted: { f1: number } };
    expect(await page.getByTestId('csv-metrics').locator('[data-metric="weighted-f1"]').textContent()).toBe(
      metrics.weighted.f1.toFixed(3),
    );
    expect(await page.getByTestId('csv-progress').evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([
      300, 300,
    ]);
    await expectNoErrors(page, errors);
    await page.close();
  });

  it('refuses a CSV with bad rows, listing each with its line and column, without classifying it', async () => {
    const { page, errors } = await openPage();
    let predictCalls = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/predict')) predictCalls++;
    });

    await page.getByTestId('csv-input').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('title,abstract,group\nok,fine,cardio\n,,onco\nt,a,lungs\n'),
    });
    await page.locator('#csv-errors li').first().waitFor();

    expect(await page.locator('#csv-errors li').allTextContents()).toEqual([
      'line 3, column 1 (title): title and abstract are both empty',
      expect.stringMatching(/^line 4, column 3 \(group\): unknown label "lungs"/),
    ]);
    expect(predictCalls).toBe(0);
    expect(await page.getByTestId('csv-download').isVisible()).toBe(false);
    await expectNoErrors(page, errors);
    await page.close();
  });

  it('says that /predict needs signed requests when the deployment requires IAM', async () => {
    const iam = await startTestStack({ auth: 'iam' });
    try {
      const { page, errors } = await openPage(iam.apiUrl);
      const notice = page.locator('#auth-notice');

      await notice.waitFor();
      expect(await notice.textContent()).toMatch(/SigV4-signed requests for POST \/predict/);
      await expectNoErrors(page, errors);
      await page.close();
    } finally {
      await iam.stop();
    }
  });
});

describe('the browser tests themselves', () => {
  it('fail with the install command when Chromium is missing', async () => {
    await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow('apt-get install -y chromium');
  });
});

/** The header and the first `rows` records of a CSV file, bytes as they are in the file. */
async function firstRecords(file: string, rows: number): Promise<Buffer> {
  const handle = await open(file);
  try {
    const csv = await openCsv(handle.createReadStream({ autoClose: false }));
    let end = csv.headerEndByte;
    let count = 0;
    for await (const record of csv.records) {
      end = record.endByte;
      if (++count === rows) break;
    }
    const bytes = await readFile(file);
    return bytes.subarray(0, end);
  } finally {
    await handle.close();
  }
}
