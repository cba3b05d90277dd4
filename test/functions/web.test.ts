import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prefersHtml } from '#adapters/api/contentNegotiation.ts';
import { CONTENT_SECURITY_POLICY } from '#adapters/api/webSite.ts';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { readManifest } from '#core/manifest.ts';
import { startTestStack } from '../support/localStack.ts';

let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => stack?.stop());

const BROWSER_ACCEPT =
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8';

/**
 * The welcome as it was before the page existed (commit e7f1be6), rebuilt from the model's identity, plus one line
 * that points to the interactive docs (issue 17: `GET /` did not list `/docs`).
 */
async function originalWelcome(): Promise<string> {
  const { name, version } = await readManifest(DEFAULT_MODEL_DIR);
  return (
    `{"message":"Clinical abstract classifier: tags abstracts as cardiovascular, hepatorenal, neurological and/or oncological (model ${name} ${version}).",` +
    '"endpoints":{"POST /predict":"{\\"texts\\": [\\"...\\"]} or {\\"items\\": [{\\"title\\": \\"...\\", \\"abstract\\": \\"...\\"}]}","GET /health":"status and model","GET /openapi.json":"OpenAPI 3.1 document","GET /docs":"interactive API documentation"}}'
  );
}

describe('GET / content negotiation', () => {
  it.each([
    ['no Accept header', undefined],
    ['curl (*/*)', '*/*'],
    ['application/json', 'application/json'],
    ['JSON preferred over HTML', 'application/json, text/html;q=0.5'],
    ['HTML and JSON tied', 'text/html, application/json'],
  ])('answers %s with the JSON welcome, byte for byte', async (_, accept) => {
    const res = await fetch(`${stack.apiUrl}/`, { headers: accept === undefined ? {} : { accept } });
    const bytes = Buffer.from(await res.arrayBuffer());

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(bytes.toString('utf8')).toBe(await originalWelcome());
    expect(res.headers.get('vary')).toBe('Accept');
  });

  it('answers a browser with the page, under a CSP that allows no inline script and no other origin', async () => {
    const res = await fetch(`${stack.apiUrl}/`, { headers: { accept: BROWSER_ACCEPT } });
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(html).toContain('data-testid="classify-button"');
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });

  it('prefers HTML only when text/html is named and ranks above JSON', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml('text/html;q=0.9, application/json;q=0.8')).toBe(true);
    expect(prefersHtml('text/html;q=0, */*')).toBe(false);
    expect(prefersHtml('text/*')).toBe(false);
    expect(prefersHtml('')).toBe(false);
  });
});

describe('GET /docs and assets', () => {
  it('serves the docs page that loads Swagger UI from our own assets', async () => {
    const res = await fetch(`${stack.apiUrl}/docs`);
    const html = await res.text();

    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(sources).toEqual(
      expect.arrayContaining(['assets/swagger-ui-bundle.js', 'assets/swagger-ui.css', 'assets/docs.js']),
    );
    for (const source of sources) expect(source).not.toMatch(/^(https?:)?\/\//);
  });

  it("serves swagger-ui-dist's own bundle, gzipped for clients that accept it", async () => {
    const plain = await fetch(`${stack.apiUrl}/assets/swagger-ui-bundle.js`, {
      headers: { 'accept-encoding': 'identity' },
    });
    const plainBytes = Buffer.from(await plain.arrayBuffer());
    const { createRequire } = await import('node:module');
    const { readFile } = await import('node:fs/promises');
    const packaged = await readFile(createRequire(import.meta.url).resolve('swagger-ui-dist/swagger-ui-bundle.js'));
    // fetch() would decode gzip itself; a raw request shows what goes over the wire.
    const { request } = await import('node:http');
    const gzipped = await new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
      request(`${stack.apiUrl}/assets/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      })
        .on('error', reject)
        .end();
    });

    expect(plain.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(plainBytes.equals(packaged)).toBe(true);
    expect(gzipped.encoding).toBe('gzip');
    expect(gunzipSync(gzipped.body).equals(packaged)).toBe(true);
    expect(gzipped.body.length).toBeLessThan(packaged.length / 2);
  });

  it('answers 304 to a request that already holds the current version', async () => {
    const first = await fetch(`${stack.apiUrl}/assets/page.css`);
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${stack.apiUrl}/assets/page.css`, { headers: { 'if-none-match': etag } });

    expect(first.status).toBe(200);
    expect(etag).toMatch(/^".+"$/);
    expect(again.status).toBe(304);
  });

  it('answers an unknown asset with the JSON 404 and a write to /docs with 405', async () => {
    const missing = await fetch(`${stack.apiUrl}/assets/../package.json`.replace('/../', '/..%2F'));
    const unknown = await fetch(`${stack.apiUrl}/assets/nothing.js`);
    const post = await fetch(`${stack.apiUrl}/docs`, { method: 'POST' });

    expect(missing.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET');
  });
});

describe('a deployment with IAM on /predict', () => {
  it('marks the page so that it says /predict needs signed requests', async () => {
    const iam = await startTestStack({ auth: 'iam' });
    try {
      const html = await (await fetch(`${iam.apiUrl}/`, { headers: { accept: 'text/html' } })).text();
      const open = await (await fetch(`${stack.apiUrl}/`, { headers: { accept: 'text/html' } })).text();

      expect(html).toContain('<meta name="predict-auth" content="iam">');
      expect(open).toContain('<meta name="predict-auth" content="none">');
    } finally {
      await iam.stop();
    }
  });
});
