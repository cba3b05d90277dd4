import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, gatewayRouteFor } from '#adapters/api/routes.ts';
import { createDevIssuer, createJwtAuthorizer, type DevIssuer } from '../../scripts/local/jwtAuthorizer.ts';
import { startTestStack } from '../support/localStack.ts';

const ISSUER = 'http://127.0.0.1/dev-issuer';
const AUDIENCE = 'clinical-abstract-classifier';

let stack: Awaited<ReturnType<typeof startTestStack>>;
let issuer: DevIssuer;
beforeAll(async () => {
  issuer = await createDevIssuer(ISSUER, AUDIENCE);
  stack = await startTestStack({
    auth: 'jwt',
    authorizeJwt: createJwtAuthorizer({ issuer: ISSUER, audience: [AUDIENCE], jwks: issuer.jwks }),
  });
});
afterAll(() => stack?.stop());

const predict = (headers: Record<string, string> = {}) =>
  fetch(`${stack.apiUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ texts: ['Atrial fibrillation after cardiac surgery'] }),
  });

describe('the local API under API_AUTH=jwt', () => {
  it('refuses POST /predict without a token as API Gateway does: 401 {"message":"Unauthorized"}', async () => {
    const res = await predict();
    expect(res.status).toBe(401);
    expect(await res.text()).toBe('{"message":"Unauthorized"}');
    expect(res.headers.get('content-type')).toBe('application/json');
    // API Gateway's answer, not the function's: none of the function's headers.
    expect(res.headers.get('x-request-id')).toBeNull();
  });

  it('refuses an expired token and one of another issuer before the handler runs (even for an invalid body)', async () => {
    const expired = await issuer.token({ exp: Math.floor(Date.now() / 1000) - 1 });
    expect((await predict({ authorization: `Bearer ${expired}` })).status).toBe(401);
    const foreign = await issuer.token({ iss: 'https://elsewhere.example.org' });
    const invalidBody = await fetch(`${stack.apiUrl}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${foreign}` },
      body: '{not json',
    });
    expect(invalidBody.status).toBe(401);
  });

  it('answers POST /predict with a valid token', async () => {
    const res = await predict({ authorization: `Bearer ${await issuer.token()}` });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { labels: string[] }[])[0]!.labels).toContain('cardiovascular');
  });

  it('keeps every open route open: health, the welcome, the page, the docs, the OpenAPI document and the assets', async () => {
    for (const path of ['/health', '/', '/docs', '/openapi.json', '/assets/page.js']) {
      const res = await fetch(`${stack.apiUrl}${path}`);
      expect(res.status, path).toBe(200);
      await res.arrayBuffer();
    }
  });

  it("lets wrong methods reach the open catch-all's 405 (API Gateway's $default route has no authorizer)", async () => {
    const res = await fetch(`${stack.apiUrl}/predict`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('protects exactly the routes the routes module marks protected', () => {
    const protectedKeys = API_ROUTES.filter((route) => route.protected).flatMap((route) =>
      route.methods.map((method) => `${method} ${route.path}`),
    );
    expect(protectedKeys).toEqual(['POST /predict']);
    expect(gatewayRouteFor('GET', '/predict')).toBeUndefined();
    expect(gatewayRouteFor('GET', '/assets/page.js')?.path).toBe('/assets/{file+}');
  });

  it('declares the bearer scheme on /predict in the OpenAPI document, and no scheme elsewhere', async () => {
    const document = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as {
      components: { securitySchemes?: Record<string, unknown> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(document.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    expect(document.paths['/predict']!.post!.security).toEqual([{ bearerAuth: [] }]);
    expect(document.paths['/predict']!.post!.responses).toHaveProperty('401');
    expect(document.paths['/health']!.get!.security).toBeUndefined();
  });
});

describe('the local API without auth', () => {
  it('declares no security scheme in the OpenAPI document', async () => {
    const open = await startTestStack();
    try {
      const document = (await (await fetch(`${open.apiUrl}/openapi.json`)).json()) as {
        components: { securitySchemes?: unknown };
        paths: Record<string, Record<string, { security?: unknown }>>;
      };
      expect(document.components.securitySchemes).toBeUndefined();
      expect(document.paths['/predict']!.post!.security).toBeUndefined();
    } finally {
      await open.stop();
    }
  });
});
