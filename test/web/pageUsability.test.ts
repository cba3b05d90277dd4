import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXAMPLES } from '#web/page/examples.ts';
import { fullName } from '#web/page/labelStyle.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { main as evaluateCli } from '../../scripts/evaluate.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { startTestStack } from '../support/localStack.ts';
import { cspViolations, recordCspViolations, watchErrors } from './browser.ts';
import { stackAndBrowser } from './harness.ts';

/** Issue 17 as a person meets it, in Chromium with real clicks and keys, on a desktop and a phone viewport. */
const OUTPUT_DIR = join(REPO_ROOT, 'test-output');
const SHARED_TRAIN = resolve(REPO_ROOT, '..', 'shared', 'data', 'challenge_train.csv');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const run = promisify(execFile);

const h = stackAndBrowser();
let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'cac-usability-'));
  await mkdir(OUTPUT_DIR, { recursive: true });
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function openPage(viewport = DESKTOP, url = h.stack.apiUrl): Promise<{ page: Page; errors: string[] }> {
  const page = await h.browser.context.newPage();
  const errors = watchErrors(page);
  await recordCspViolations(page);
  await page.setViewportSize(viewport);
  await page.goto(`${url}/`);
  return { page, errors };
}

async function finish(page: Page, errors: string[]): Promise<void> {
  expect(await cspViolations(page)).toEqual([]);
  expect(errors).toEqual([]);
  await page.close();
}

const activeId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
const chipTexts = (page: Page) => page.getByTestId('label-chip').allTextContents();

describe('after Classify', () => {
  it.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ])('the result scrolls into view and takes focus, its summary announced (%s)', async (name, viewport) => {
    const { page, errors } = await openPage(viewport);
    await page.getByTestId('title-input').fill('Glioblastoma resection');
    await page.getByTestId('abstract-input').fill('Outcomes of surgery and temozolomide for glioblastoma multiforme.');

    await page.getByTestId('classify-button').click();
    await page.getByTestId('label-chip').first().waitFor();

    await expect.poll(() => activeId(page)).toBe('result');
    await expect
      .poll(() => page.locator('#result').evaluate((el) => Math.round(el.getBoundingClientRect().top)))
      .toBeLessThan(viewport.height / 4);
    expect(await page.locator('#result').getAttribute('aria-describedby')).toBe('result-summary');
    // The labels, then the confidence in words (issue 15: the API gives it with every answer).
    const confidence = (await page.getByTestId('confidence').locator('strong').textContent())!;
    expect(await page.locator('#result-summary').textContent()).toMatch(
      new RegExp(`^Predicted: ${(await chipTexts(page)).join(', ')}\\. ${confidence}`),
    );
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT_DIR, `page-result-${name}.png`) });
    await finish(page, errors);
  });

  it('Ctrl+Enter (or Cmd+Enter) in the abstract submits, without a click', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('abstract-input').click();
    await page.keyboard.type('Signs of cirrhosis and hepatorenal syndrome.');

    await page.keyboard.press('Control+Enter');
    await page.getByTestId('label-chip').first().waitFor();
    await page.getByTestId('abstract-input').focus();
    await page.getByTestId('abstract-input').fill('Acute onset neurological deficits with imaging findings.');
    await page.keyboard.press('Meta+Enter');

    await expect.poll(() => chipTexts(page)).toEqual(['neurological']);
    expect(await activeId(page)).toBe('result');
    await finish(page, errors);
  });
});

describe('when Classify cannot answer', () => {
  it('refuses a text over max_text_chars before sending it, says so as an error, and hides the previous result', async () => {
    const { page, errors } = await openPage();
    const predictCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/predict')) predictCalls.push(request.method());
    });
    await page.getByTestId('abstract-input').fill('Signs of cirrhosis and hepatorenal syndrome.');
    await page.getByTestId('classify-button').click();
    await page.getByTestId('label-chip').first().waitFor();
    expect(predictCalls).toEqual(['POST']);

    // 20,500 characters; the local stack's /health gives max_text_chars 20,000, as the API counts it.
    await page.getByTestId('abstract-input').fill('word '.repeat(4100));
    await page.getByTestId('classify-button').click();
    const status = page.locator('#classify-status');
    await expect
      .poll(() => status.textContent())
      .toBe(
        'Title + abstract has 20,499 characters as the model reads it (after NFKC normalisation); this API takes at most 20,000 per text: shorten it.',
      );
    expect(await status.getAttribute('class')).toContain('failed');
    expect(await page.locator('#result').isHidden()).toBe(true);
    expect(predictCalls).toEqual(['POST']);
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-classify-too-long.png') });

    // A good text again: the error style goes, the result comes back.
    await page.getByTestId('abstract-input').fill('Signs of cirrhosis and hepatorenal syndrome.');
    await page.getByTestId('classify-button').click();
    await expect.poll(() => page.locator('#result').isVisible()).toBe(true);
    expect(await status.getAttribute('class')).not.toContain('failed');
    await finish(page, errors);
  });

  it("shows what the API's 400 names in its details, not only its summary", async () => {
    const { page, errors } = await openPage();
    // The real API's answer to a request the page's own check would have caught: the page's request is sent on
    // with a text over the limit, so the page shows a 400 exactly as the API words it.
    await page.route('**/predict', async (route) => {
      const response = await route.fetch({
        postData: JSON.stringify({ items: [{ title: '', abstract: 'word '.repeat(4100) }], explain: true }),
      });
      await route.fulfill({ response });
    });
    await page.getByTestId('abstract-input').fill('Signs of cirrhosis and hepatorenal syndrome.');
    await page.getByTestId('classify-button').click();
    const status = page.locator('#classify-status');
    await expect.poll(() => status.getAttribute('class')).toContain('failed');
    const said = (await status.textContent())!;
    expect(said).toMatch(/^the request body does not match the schema \(1 problem\): \$\.items\[0\] /);
    expect(said).toContain('must be at most 20000 characters');
    expect(said).toMatch(/\(invalid_request, HTTP 400\)$/);
    expect(await page.locator('#result').isHidden()).toBe(true);
    // The browser logs the 400 itself; nothing else may go wrong.
    expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
    await page.close();
  });
});

describe('the example buttons', () => {
  it('line up under each other when a group wraps, the label of the group in the margin', async () => {
    const { page, errors } = await openPage({ width: 1024, height: 800 });
    await page.getByTestId('example-button').first().waitFor();
    const groups = await page.locator('.example-group').evaluateAll((divs) =>
      divs.map((div) => ({
        label: div.querySelector('.example-kind')!.getBoundingClientRect().left,
        buttons: Array.from(div.querySelectorAll('button'), (b) => {
          const r = b.getBoundingClientRect();
          return { left: Math.round(r.left), top: Math.round(r.top) };
        }),
      })),
    );
    // The abstracts' group wraps at this width; a second line that started under its label was the defect.
    expect(new Set(groups[1]!.buttons.map((b) => b.top)).size).toBeGreaterThan(1);
    for (const group of groups) {
      const first = group.buttons[0]!.left;
      expect(first).toBeGreaterThan(group.label);
      expect(Math.min(...group.buttons.map((b) => b.left))).toBe(first);
    }
    await finish(page, errors);
  });

  it("offer the prototype's four one-liners and an abstract per label, each classified as its label", async () => {
    const { page, errors } = await openPage();
    const buttons = page.getByTestId('example-button');
    expect(await buttons.count()).toBe(8);
    expect(EXAMPLES.filter((e) => e.kind === 'one-liner').map((e) => e.abstract)).toEqual([
      'Patient presents with chest pain and elevated troponin levels.',
      'Signs of cirrhosis and hepatorenal syndrome.',
      'Acute onset neurological deficits with imaging findings.',
      'Abnormal tumor markers requiring further oncological workup.',
    ]);

    for (const example of EXAMPLES) {
      await page.locator(`[data-example="${example.id}"]`).click();
      await expect.poll(() => page.getByTestId('abstract-input').inputValue()).toBe(example.abstract);
      await expect.poll(() => page.locator('#result-summary').textContent()).toContain(fullName(example.label));
      expect(await page.getByTestId('title-input').inputValue()).toBe(example.title);
    }
    await finish(page, errors);
  });

  it('Clear empties both fields and hides the previous result', async () => {
    const { page, errors } = await openPage();
    await page.locator('[data-example="onco-abstract"]').click();
    await page.getByTestId('label-chip').first().waitFor();

    await page.getByTestId('clear-button').click();

    expect(await page.getByTestId('title-input').inputValue()).toBe('');
    expect(await page.getByTestId('abstract-input').inputValue()).toBe('');
    expect(await page.locator('#result').isVisible()).toBe(false);
    expect(await activeId(page)).toBe('title-input');
    await finish(page, errors);
  });
});

describe('"Call this from code"', () => {
  it('gives a curl command and a fetch call that send the same request and get the same labels', async () => {
    await h.browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.stack.apiUrl });
    const { page, errors } = await openPage();
    await page.locator('[data-example="hepato-abstract"]').click();
    await page.getByTestId('label-chip').first().waitFor();
    await page.getByText('Call this from code').click();
    const curl = (await page.getByTestId('snippet-curl').textContent())!;
    const code = (await page.getByTestId('snippet-fetch').textContent())!;

    const viaCurl = JSON.parse((await run('sh', ['-c', `${curl} --silent`])).stdout) as { labels: string[] }[];
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      body: string,
    ) => () => Promise<{ labels: string[] }>;
    const viaFetch = await new AsyncFunction(`${code.replace(/console\.log\(.*\);$/, '')}return prediction;`)();
    await page.locator('button[data-copy="snippet-curl"]').click();

    expect(viaCurl[0]!.labels).toEqual(await chipTexts(page));
    expect(viaFetch.labels).toEqual(await chipTexts(page));
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(curl);
    await finish(page, errors);
  });
});

describe('evidence for everyone', () => {
  it('is reached with Tab and moved through with the arrow keys, each word saying its weights', async () => {
    const { page, errors } = await openPage();
    await page.locator('[data-example="cardio-abstract"]').click();
    await page.getByTestId('label-chip').first().waitFor();
    await page.locator('input[name="evidence-label"]:checked').focus();

    await page.keyboard.press('Tab');
    const first = await page.evaluate(() => document.activeElement?.textContent);
    const firstDetail = await page.getByTestId('evidence-detail').textContent();
    await page.keyboard.press('ArrowRight');
    const second = await page.evaluate(() => document.activeElement?.textContent);

    expect(await page.evaluate(() => document.activeElement?.matches('mark.ev'))).toBe(true);
    expect(firstDetail).toMatch(new RegExp(`^${first}: cardiovascular [+−]\\d+\\.\\d{3}`));
    expect(second).not.toBe(first);
    expect(await page.getByTestId('evidence-detail').textContent()).toMatch(new RegExp(`^${second}: `));
    await finish(page, errors);
  });

  it('shows a word’s weights on a tap on a phone', async () => {
    const { page, errors } = await openPage(PHONE);
    await page.locator('[data-example="neuro-abstract"]').click();
    await page.getByTestId('label-chip').first().waitFor();
    const mark = page.getByTestId('evidence').locator('mark.ev').nth(2);

    await mark.click();

    expect(await page.getByTestId('evidence-detail').textContent()).toMatch(
      new RegExp(`^${await mark.textContent()}: (cardiovascular|hepatorenal|neurological|oncological) [+−]\\d`),
    );
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-evidence-phone.png') });
    await finish(page, errors);
  });

  it('draws strength on one absolute scale: an off-topic text has no strong words and no highlighted function words', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('abstract-input').fill('The weather was sunny in 2021 and the team won 3 of the games.');
    await page.getByTestId('classify-button').click();
    await page.getByTestId('label-chip').first().waitFor();
    const offTopic = await page.getByTestId('evidence').locator('mark').allTextContents();
    await page.locator('[data-example="hepato-abstract"]').click();
    await expect.poll(() => page.locator('#result-summary').textContent()).toContain('hepatorenal');

    expect(offTopic.map((w) => w.toLowerCase())).not.toEqual(expect.arrayContaining(['the']));
    expect(offTopic.filter((w) => /^\d+$/.test(w))).toEqual([]);
    expect(await page.getByTestId('evidence').locator('mark.s3').count()).toBeGreaterThan(0);
    expect(await page.locator('#evidence-legend').textContent()).toContain('strong 4 or more');
    await finish(page, errors);
  });
});

describe('a CSV on the page', () => {
  it('without labels: predictions and a results table, and no metrics or metrics.json', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('csv-input').setInputFiles({
      name: 'unlabelled.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(syntheticCsv({ rows: 30, labelled: false, seed: 3 })),
    });
    await page.getByTestId('csv-download').waitFor();

    expect(await page.getByTestId('csv-metrics-download').isVisible()).toBe(false);
    expect(await page.getByTestId('csv-metrics').isVisible()).toBe(false);
    expect(await page.getByTestId('results-table').locator('tbody tr').count()).toBe(25);
    expect(await page.getByTestId('results-table').locator('thead th').allTextContents()).toEqual([
      'Line',
      'Title',
      'Predicted',
      'Top probability',
      'Kind',
      'Confidence',
    ]);
    await page.getByRole('button', { name: 'Show 5 more rows' }).click();
    expect(await page.getByTestId('results-table').locator('tbody tr').count()).toBe(30);
    await finish(page, errors);
  });

  it('with labels: wrong answers first, a label filter and sortable columns', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('csv-input').setInputFiles({
      name: 'labelled.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(syntheticCsv({ rows: 60, seed: 8 })),
    });
    const table = page.getByTestId('results-table');
    await table.waitFor();
    const wrong = await table.locator('tbody tr.wrong').count();
    const rowsShown = () => table.locator('tbody tr').count();

    const firstRows = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.className));
    expect(firstRows.slice(0, wrong)).toEqual(Array(wrong).fill('wrong'));
    await page.getByLabel('Label', { exact: true }).selectOption('onco');
    const predictedOrTrue = await table
      .locator('tbody tr')
      .evaluateAll((rows) =>
        rows.every((r) => Array.from(r.querySelectorAll('.chip')).some((c) => c.textContent === 'onco')),
      );
    expect(predictedOrTrue).toBe(true);
    expect(await rowsShown()).toBeLessThan(25);
    // Every matching row is shown, so there is no "Show more rows" button (it once read "Show 0 more rows").
    await expect.poll(() => page.getByRole('button', { name: /more rows/ }).isVisible()).toBe(false);
    // The confidence filter, chosen by its words: only rows of that level stay.
    await page.getByLabel('Label', { exact: true }).selectOption('all');
    const levels = await table.locator('tbody tr td:last-child').allTextContents();
    expect(new Set(levels).size).toBeGreaterThan(1);
    await page.getByLabel('Confidence', { exact: true }).selectOption({ label: levels[0]! });
    const kept = await table.locator('tbody tr td:last-child').allTextContents();
    expect(kept.length).toBeGreaterThan(0);
    expect(new Set(kept)).toEqual(new Set([levels[0]]));
    await page.getByLabel('Confidence', { exact: true }).selectOption('all');
    await page.getByLabel('Label', { exact: true }).selectOption('onco');
    await page.getByLabel('Wrong answers first').uncheck();
    await table.getByRole('button', { name: 'Line' }).click();
    const lines = await table.locator('tbody tr td:first-child').allTextContents();
    expect(lines.map(Number)).toEqual([...lines.map(Number)].sort((a, b) => b - a));
    expect(await table.locator('th[aria-sort="descending"]').textContent()).toBe('Line');
    await page.locator('#csv-heading').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-csv-table.png'), fullPage: true });
    await finish(page, errors);
  });

  it('shows reading progress from the first chunk and keeps the page answering while it reads', async () => {
    const bytes = existsSync(SHARED_TRAIN)
      ? await readFile(SHARED_TRAIN)
      : Buffer.from(syntheticCsv({ rows: 2964, delimiter: ';', seed: 4 }));
    const page = await h.browser.context.newPage();
    const errors = watchErrors(page);
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __seen: string[] }).__seen = seen;
      // A heartbeat: it runs only when the page's main thread is free between tasks.
      setInterval(() => seen.push('beat'), 20);
      document.addEventListener('DOMContentLoaded', () => {
        const label = document.getElementById('csv-progress-label')!;
        new MutationObserver(() => seen.push(label.textContent ?? '')).observe(label, {
          subtree: true,
          characterData: true,
          childList: true,
        });
      });
    });
    await page.goto(`${h.stack.apiUrl}/`);
    await page.getByTestId('csv-input').setInputFiles({ name: 'train.csv', mimeType: 'text/csv', buffer: bytes });
    await page.getByTestId('csv-download').waitFor({ timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);

    const firstReading = seen.findIndex((s) => s.startsWith('Reading train.csv: '));
    const classifying = seen.findIndex((s) => s.startsWith('Classified'));
    expect(firstReading).toBeGreaterThanOrEqual(0);
    expect(classifying).toBeGreaterThan(firstReading);
    const during = seen.slice(firstReading, classifying);
    expect(during.filter((s) => /^Reading train\.csv: [1-9]\d? %/.test(s)).length).toBeGreaterThan(0);
    expect(during.filter((s) => s === 'beat').length).toBeGreaterThan(0);
    await finish(page, errors);
  });

  it('clears what the previous run showed when the next file is refused', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('csv-input').setInputFiles({
      name: 'good.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(syntheticCsv({ rows: 10, seed: 2 })),
    });
    await page.getByTestId('results-table').waitFor();

    await page.getByTestId('csv-input').setInputFiles({
      name: 'bad.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('name,summary\nx,y\n'),
    });
    await page.locator('#csv-errors p').waitFor();

    expect(await page.getByTestId('results-table').count()).toBe(0);
    expect(await page.getByTestId('csv-progress').isVisible()).toBe(false);
    expect(await page.getByTestId('csv-metrics').isVisible()).toBe(false);
    expect(await page.getByTestId('csv-download').isVisible()).toBe(false);
    expect(await page.locator('#csv-errors p').textContent()).toMatch(/^required columns "title" and "abstract"/);
    await finish(page, errors);
  });

  it("sends batches no larger than the server's max_texts (from /health), not a fixed 64", async () => {
    const small = await startTestStack({ limits: { maxTexts: 7, maxTextChars: 20_000, maxBodyBytes: 1_048_576 } });
    try {
      const { page, errors } = await openPage(DESKTOP, small.apiUrl);
      const sizes: number[] = [];
      page.on('request', (request) => {
        if (request.url().endsWith('/predict'))
          sizes.push((JSON.parse(request.postData()!) as { texts: string[] }).texts.length);
      });
      await expect.poll(() => page.locator('#csv-limits').textContent()).toBe('7');
      await page.getByTestId('csv-input').setInputFiles({
        name: 'twenty.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(syntheticCsv({ rows: 20, seed: 5 })),
      });
      await page.getByTestId('csv-download').waitFor();

      expect(sizes).toEqual([7, 7, 6]);
      await finish(page, errors);
    } finally {
      await small.stop();
    }
  });

  it('fits a phone: nothing scrolls sideways with a result and a results table on the page', async () => {
    const { page, errors } = await openPage(PHONE);
    await page.locator('[data-example="cardio-abstract"]').click();
    await page.getByTestId('label-chip').first().waitFor();
    await page.getByText('Call this from code').click();
    await page.getByTestId('csv-input').setInputFiles({
      name: 'labelled.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(syntheticCsv({ rows: 30, seed: 6 })),
    });
    await page.getByTestId('results-table').waitFor();

    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-phone.png'), fullPage: true });
    await finish(page, errors);
  });
});

describe('report.html in Chromium', () => {
  it('fits a phone, and its label and kind filters show only the matching error rows, with no script', async () => {
    const csv = join(work, 'report.csv');
    await writeFile(csv, syntheticCsv({ rows: 300, seed: 21 }));
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(await evaluateCli([csv, '--out', join(work, 'report'), '--quiet'])).toBe(0);
    } finally {
      vi.restoreAllMocks();
    }
    const url = pathToFileURL(join(work, 'report', 'report.html')).href;
    const page = await h.browser.context.newPage();
    const errors = watchErrors(page);
    await page.setViewportSize(DESKTOP);
    await page.goto(url);
    await page.screenshot({ path: join(OUTPUT_DIR, 'report-desktop.png'), fullPage: true });
    const rows = page.locator('article.error');
    const all = await rows.count();
    expect(all).toBeGreaterThan(1);

    await page.getByLabel('neurological', { exact: true }).check();
    const shown = await rows.evaluateAll((els) =>
      els.filter((e) => getComputedStyle(e).display !== 'none').map((e) => e.classList.contains('has-l2')),
    );
    await page.getByLabel('all', { exact: true }).first().check();

    expect(shown.length).toBeGreaterThan(0);
    expect(shown.length).toBeLessThan(all);
    expect(shown.every(Boolean)).toBe(true);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.locator('h2', { hasText: 'Label sets' }).count()).toBe(1);
    await page.setViewportSize(PHONE);
    expect(await sideways(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(OUTPUT_DIR, 'report-phone.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('the confidence of an answer, from the API (issue 15)', () => {
  it.each([
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ])(
    'says "Out of scope" in words, with grey outlined chips, for text that is not medical (%s)',
    async (name, viewport) => {
      const { page, errors } = await openPage(viewport);
      await page.getByTestId('abstract-input').fill('The quick brown fox jumps over the lazy dog.');
      await page.getByTestId('classify-button').click();
      await page.getByTestId('confidence').waitFor();

      expect(await page.getByTestId('confidence').textContent()).toContain('Out of scope');
      expect(await page.getByText('No medical evidence found').count()).toBe(1);
      expect(await page.getByTestId('kind-note').textContent()).toContain('Short text: less reliable');
      for (const chip of await page.getByTestId('label-chip').all())
        expect(await chip.getAttribute('class')).toContain('uncertain');
      await page.screenshot({ path: join(OUTPUT_DIR, `page-out-of-scope-${name}.png`), fullPage: true });
      await finish(page, errors);
    },
  );

  it('says "High confidence" for the prototype\'s one-liner, with its one label as a solid chip', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('abstract-input').fill('Patient presents with chest pain and elevated troponin levels.');
    await page.getByTestId('classify-button').click();
    await page.getByTestId('confidence').waitFor();

    expect(await page.getByTestId('confidence').textContent()).toContain('High confidence');
    expect(await chipTexts(page)).toEqual([fullName('cardio')]);
    expect(await page.getByTestId('label-chip').first().getAttribute('class')).not.toContain('uncertain');
    await finish(page, errors);
  });
});
