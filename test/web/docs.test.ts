import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PREDICT_EXAMPLES } from '#adapters/api/openapi.ts';
import { REPO_ROOT } from '../../infra/config.ts';
import { cspViolations, recordCspViolations, watchErrors } from './browser.ts';
import { stackAndBrowser } from './harness.ts';

const h = stackAndBrowser();

describe('GET /docs in Chromium', () => {
  it('renders every operation of /openapi.json with assets from our own origin and no console error or CSP violation', async () => {
    const page = await h.browser.context.newPage();
    const errors = watchErrors(page);
    await recordCspViolations(page);
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));

    await page.goto(`${h.stack.apiUrl}/docs`);
    await page.locator('.opblock-summary-path', { hasText: '/predict' }).first().waitFor();

    const paths = await page.locator('.opblock-summary-path').allTextContents();
    const document = (await (await fetch(`${h.stack.apiUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(new Set(paths.map((p) => p.replace(/\u200b/g, '')))).toEqual(new Set(Object.keys(document.paths)));
    expect([...origins]).toEqual([h.stack.apiUrl]);
    expect(await cspViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('sends a request to POST /predict from the docs (try-it-out on by default) and shows the answer', async () => {
    const page = await h.browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${h.stack.apiUrl}/docs`);
    const operation = page.locator('.opblock-post', { hasText: '/predict' }).first();
    await operation.locator('.opblock-summary').click();
    await operation.locator('textarea.body-param__text').fill('{"texts": ["Glioblastoma resection outcomes"]}');
    await operation.getByRole('button', { name: 'Execute' }).click();
    const status = operation.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor();

    expect((await status.textContent())?.trim()).toBe('200');
    expect(
      await operation.locator('.live-responses-table tr.response .response-col_description').first().textContent(),
    ).toContain('labels');
    expect(errors).toEqual([]);
    await page.close();
  });

  it.each(Object.entries(PREDICT_EXAMPLES))(
    'answers 200 to "Try it out → Execute" on the named example %s, as it is prefilled',
    async (name, example) => {
      const page = await h.browser.context.newPage();
      const errors = watchErrors(page);
      await page.goto(`${h.stack.apiUrl}/docs`);
      const operation = page.locator('.opblock-post', { hasText: '/predict' }).first();
      await operation.locator('.opblock-summary').click();
      const chooser = operation.locator('select.examples-select-element').first();
      await chooser.selectOption({ label: example.summary });
      const body = operation.locator('textarea.body-param__text');
      await expect.poll(async () => JSON.parse(await body.inputValue())).toEqual(example.value);
      await operation.getByRole('button', { name: 'Execute' }).click();
      const status = operation.locator('.live-responses-table tr.response .response-col_status').first();
      await status.waitFor();
      if (name === 'items') await page.screenshot({ path: join(REPO_ROOT, 'test-output', 'docs-items.png') });

      expect((await status.textContent())?.trim()).toBe('200');
      expect(errors).toEqual([]);
      await page.close();
    },
  );
});
