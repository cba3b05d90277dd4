import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createDevIssuer,
  createJwtAuthorizer,
  type DevIssuer,
  readJwksFile,
} from '../../scripts/local/jwtAuthorizer.ts';

const ISSUER = 'https://issuer.example.org/pool';
const AUDIENCE = 'classifier-client';

let issuer: DevIssuer;
let authorize: ReturnType<typeof createJwtAuthorizer>;
beforeAll(async () => {
  issuer = await createDevIssuer(ISSUER, AUDIENCE);
  authorize = createJwtAuthorizer({ issuer: ISSUER, audience: [AUDIENCE, 'second-client'], jwks: issuer.jwks });
});

const now = () => Math.floor(Date.now() / 1000);

describe("the local stand-in for API Gateway's JWT authorizer", () => {
  it('accepts a token of the issuer for a configured audience, with or without the Bearer prefix', async () => {
    const token = await issuer.token();
    expect(await authorize(`Bearer ${token}`)).toBe(true);
    expect(await authorize(token)).toBe(true);
  });

  it('refuses a request without an Authorization header or with an empty one', async () => {
    expect(await authorize(undefined)).toBe(false);
    expect(await authorize('Bearer ')).toBe(false);
  });

  it('refuses a token signed by a key that is not in the key set, even with the same kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const kid = issuer.jwks.keys[0]!.kid!;
    const forged = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })
      .setProtectedHeader({ alg: 'RS256', kid })
      .sign(privateKey);
    expect(await authorize(`Bearer ${forged}`)).toBe(false);
  });

  it('refuses a token whose signature no longer matches its claims', async () => {
    const [header, , signature] = (await issuer.token()).split('.');
    const payload = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: now() + 600, admin: true })).toString(
      'base64url',
    );
    expect(await authorize(`Bearer ${header}.${payload}.${signature}`)).toBe(false);
  });

  it('refuses another issuer and an audience that is not configured', async () => {
    expect(await authorize(await issuer.token({ iss: 'https://other.example.org' }))).toBe(false);
    expect(await authorize(await issuer.token({ aud: 'someone-else' }))).toBe(false);
  });

  it('accepts any of several configured audiences, in aud as a list too', async () => {
    expect(await authorize(await issuer.token({ aud: 'second-client' }))).toBe(true);
    expect(await authorize(await issuer.token({ aud: ['unknown', 'second-client'] }))).toBe(true);
  });

  it('takes client_id as the audience only when the token has no aud (as Cognito access tokens)', async () => {
    expect(await authorize(await issuer.token({ aud: undefined, client_id: AUDIENCE }))).toBe(true);
    expect(await authorize(await issuer.token({ aud: 'someone-else', client_id: AUDIENCE }))).toBe(false);
  });

  it('refuses an expired token, one not valid yet, one issued in the future and one without exp', async () => {
    expect(await authorize(await issuer.token({ exp: now() - 60 }))).toBe(false);
    expect(await authorize(await issuer.token({ nbf: now() + 600 }))).toBe(false);
    expect(await authorize(await issuer.token({ iat: now() + 600 }))).toBe(false);
    expect(await authorize(await issuer.token({ exp: undefined }))).toBe(false);
  });

  it('refuses a token signed with a shared secret (API Gateway accepts RSA signatures only)', async () => {
    const secret = new TextEncoder().encode('a shared secret of at least thirty-two bytes');
    const hmac = await new SignJWT({ iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })
      .setProtectedHeader({ alg: 'HS256', kid: issuer.jwks.keys[0]!.kid! })
      .sign(secret);
    expect(await authorize(`Bearer ${hmac}`)).toBe(false);
  });

  it('reads a key set file, and names the file and JWKS_FILE when it is not one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cac-jwks-'));
    try {
      await writeFile(join(dir, 'jwks.json'), JSON.stringify(issuer.jwks));
      await writeFile(join(dir, 'not.json'), '{"keys": []}');
      const fromFile = createJwtAuthorizer({
        issuer: ISSUER,
        audience: [AUDIENCE],
        jwks: await readJwksFile(join(dir, 'jwks.json')),
      });
      expect(await fromFile(await issuer.token())).toBe(true);
      await expect(readJwksFile(join(dir, 'not.json'))).rejects.toThrow(
        /^JWKS_FILE: .*not\.json is not a JSON Web Key Set/,
      );
      await expect(readJwksFile(join(dir, 'missing.json'))).rejects.toThrow(/^JWKS_FILE: cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
