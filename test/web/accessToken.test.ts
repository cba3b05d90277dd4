import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/config.ts';
import { createDevIssuer, createJwtAuthorizer, type DevIssuer } from '../../scripts/local/jwtAuthorizer.ts';
import { startTestStack } from '../support/localStack.ts';
import { type Browser, cspViolations, launchChromium, recordCspViolations, watchErrors } from './browser.ts';

const OUTPUT_DIR = join(REPO_ROOT, 'test-output');
const ISSUER = 'http://127.0.0.1/dev-issuer';
const AUDIENCE = 'clinical-abstract-classifier';

let stack: Awaited<ReturnType<typeof startTestStack>>;
let browser: Browser;
let issuer: DevIssuer;
beforeAll(async () => {
  await mkdir(OUTPUT_DIR, { recursive: true });
  issuer = await createDevIssuer(ISSUER, AUDIENCE);
  stack = await startTestStack({
    auth: 'jwt',
    authorizeJwt: createJwtAuthorizer({ issuer: ISSUER, audience: [AUDIENCE], jwks: issuer.jwks }),
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Chromium logs every 401 answer as a failed resource load; those are the refusals the tests expect. */
const unexpected = (errors: string[]) => errors.filter((error) => !/status of 401 \(Unauthorized\)/.test(error));

async function openPage(path = '/'): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.context.newPage();
  const errors = watchErrors(page);
  await recordCspViolations(page);
  await page.goto(`${stack.apiUrl}${path}`);
  return { page, errors };
}

describe('the web page when the deployment needs a JWT (auth=jwt)', () => {
  it('refuses to classify without a token with a message that says what to do', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('token-input').waitFor();

    await page.locator('[data-example="cardio-line"]').click();
    const status = page.locator('#classify-status');
    await expect.poll(() => status.textContent()).toMatch(/needs an access token/);
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-jwt-refused.png') });

    expect(await page.getByTestId('label-chip').count()).toBe(0);
    expect(errors.filter((error) => /401/.test(error)).length).toBeGreaterThan(0);
    expect(unexpected(errors)).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  });

  it('classifies with a pasted token, sending it as a bearer token and keeping it in this tab only', async () => {
    const { page, errors } = await openPage();
    const token = await issuer.token();
    const sent: (string | undefined)[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/predict')) sent.push(request.headers().authorization);
    });

    await page.getByTestId('token-input').fill(token);
    await page.locator('[data-example="cardio-line"]').click();
    await page.getByTestId('label-chip').first().waitFor();
    await page.screenshot({ path: join(OUTPUT_DIR, 'page-jwt.png'), fullPage: true });

    expect(sent.length).toBeGreaterThan(0);
    expect(new Set(sent)).toEqual(new Set([`Bearer ${token}`]));
    expect(await page.getByTestId('token-input').getAttribute('type')).toBe('password');
    const storage = await page.evaluate(() => ({
      session: Object.values(sessionStorage),
      local: Object.keys(localStorage).length,
      cookies: document.cookie,
    }));
    expect(storage).toEqual({ session: [token], local: 0, cookies: '' });
    expect(unexpected(errors)).toEqual([]);
    await page.close();
  });

  it('says the token was refused when it has expired, and forgets it on request', async () => {
    const { page, errors } = await openPage();
    await page.getByTestId('token-input').fill(await issuer.token({ exp: Math.floor(Date.now() / 1000) - 60 }));

    await page.locator('[data-example="cardio-line"]').click();
    const status = page.locator('#classify-status');
    await expect.poll(() => status.textContent()).toMatch(/refused the access token/);
    await page.getByTestId('token-forget').click();

    expect(await page.getByTestId('token-input').inputValue()).toBe('');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(unexpected(errors)).toEqual([]);
    await page.close();
  });

  it('shows no token field when the deployment is open', async () => {
    const open = await startTestStack();
    try {
      const page = await browser.context.newPage();
      await page.goto(`${open.apiUrl}/`);
      await page.locator('[data-example="cardio-line"]').waitFor();
      expect(await page.locator('#access').isHidden()).toBe(true);
      await page.close();
    } finally {
      await open.stop();
    }
  });
});

describe('/docs when the deployment needs a JWT', () => {
  it('offers "Authorize" for the bearer token and sends it with "Try it out"; without it the answer is 401', async () => {
    const { page, errors } = await openPage('/docs');
    const operation = page.locator('.opblock-post', { hasText: '/predict' }).first();
    await operation.waitFor();
    const execute = async (): Promise<string> => {
      await operation.locator('textarea.body-param__text').fill('{"texts": ["Glioblastoma resection outcomes"]}');
      await operation.getByRole('button', { name: 'Execute' }).click();
      const status = operation.locator('.live-responses-table tr.response .response-col_status').first();
      await status.waitFor();
      return (await status.textContent())?.trim() ?? '';
    };
    await operation.locator('.opblock-summary').click();

    expect(await execute()).toBe('401');

    await page.getByRole('button', { name: 'Authorize' }).first().click();
    await page
      .locator('.modal-ux input[type="text"], .modal-ux input[type="password"]')
      .first()
      .fill(await issuer.token());
    await page.locator('.modal-ux').getByRole('button', { name: 'Apply credentials' }).click();
    await page.locator('.modal-ux button.btn-done').click();
    await operation.getByRole('button', { name: 'Clear' }).click();

    expect(await execute()).toBe('200');
    expect(await page.evaluate(() => Object.keys(localStorage).length)).toBe(0);
    expect(unexpected(errors)).toEqual([]);
    expect(await cspViolations(page)).toEqual([]);
    await page.close();
  });
});
