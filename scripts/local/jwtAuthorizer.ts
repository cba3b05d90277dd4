/**
 * API Gateway's HTTP API JWT authorizer, for `npm start`: the same checks, made with `jose` on a local key set, so
 * that a request the deployed API would refuse is refused locally too, before any handler runs.
 *
 * What API Gateway checks (its JWT authorizer documentation): the token comes from the `Authorization` header (a
 * `Bearer ` prefix is allowed); its `kid` names a key of the issuer's key set and the signature is that key's, with
 * an RSA algorithm; `iss` is the configured issuer; `aud` or, lacking it, `client_id` is one of the configured
 * audiences; `exp` is in the future and `nbf`/`iat`, when present, are not.
 */
import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  decodeJwt,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';
import { ConfigError } from '#core/errors.ts';

/** API Gateway's JWT authorizers accept RSA signatures only. */
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512'];

export interface JwtAuthorizerOptions {
  issuer: string;
  /** Accepted `aud` (or `client_id`) values: at least one. */
  audience: readonly string[];
  /** The issuer's public keys (what its `jwks_uri` serves). */
  jwks: JSONWebKeySet;
  /** Seconds since the epoch; injectable for tests of expiry. */
  now?: () => number;
}

/** Whether an `Authorization` header carries a token the deployed JWT authorizer would accept. */
export type JwtAuthorizer = (authorization: string | undefined) => Promise<boolean>;

export function createJwtAuthorizer(options: JwtAuthorizerOptions): JwtAuthorizer {
  if (options.audience.length === 0) throw new Error('a JWT authorizer needs at least one audience');
  const keys = createLocalJWKSet(options.jwks);
  return async (authorization) => {
    const token = authorization
      ?.trim()
      .replace(/^bearer\s+/i, '')
      .trim();
    if (!token) return false;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: options.issuer,
        algorithms: RSA_ALGORITHMS,
        requiredClaims: ['exp'],
        ...(options.now ? { currentDate: new Date(options.now() * 1000) } : {}),
      }));
    } catch {
      // Unknown key, bad signature, wrong issuer, expired or not yet valid: API Gateway answers 401 for all of them.
      return false;
    }
    const now = options.now?.() ?? Date.now() / 1000;
    if (payload.iat !== undefined && payload.iat > now) return false;
    const audiences = payload.aud ?? (typeof payload.client_id === 'string' ? payload.client_id : undefined);
    return [audiences ?? []].flat().some((aud) => options.audience.includes(aud));
  };
}

/** A key pair made at start-up, for `npm start` without an issuer of one's own: its key set and a way to sign tokens. */
export interface DevIssuer {
  jwks: JSONWebKeySet;
  /** A token for `audience` from `issuer`, valid for `ttlSeconds` (and `claims` on top, e.g. an `exp` in the past). */
  token(claims?: JWTPayload, ttlSeconds?: number): Promise<string>;
}

export async function createDevIssuer(issuer: string, audience: string): Promise<DevIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    jwks: { keys: [jwk] },
    token: (claims = {}, ttlSeconds = 12 * 3600) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        sub: 'local-developer',
        iss: issuer,
        aud: audience,
        iat: now,
        exp: now + ttlSeconds,
        ...claims,
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .sign(privateKey);
    },
  };
}

/** A token's expiry, for printing (no check: the authorizer checks). */
export function expiryOf(token: string): Date | undefined {
  const { exp } = decodeJwt(token);
  return exp === undefined ? undefined : new Date(exp * 1000);
}

/** Reads a JSON Web Key Set file (`{"keys": [...]}`), failing with the file's name and what is wrong. */
export async function readJwksFile(file: string): Promise<JSONWebKeySet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ConfigError('JWKS_FILE', `cannot read ${file} as JSON: ${(error as Error).message}`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((key) => typeof key === 'object' && key !== null))
    throw new ConfigError('JWKS_FILE', `${file} is not a JSON Web Key Set: expected {"keys": [{...}, ...]}`);
  return { keys } as JSONWebKeySet;
}
