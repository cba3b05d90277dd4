import { resolve } from 'node:path';
import { ConfigError } from '#core/errors.ts';
import { loadConfig, type RuntimeConfig } from './config.ts';

/** What `npm start` reads from the environment besides the functions' own settings (`loadConfig`). */
export interface DevServerConfig {
  runtime: RuntimeConfig;
  port: number;
  s3Port: number;
  bucket: string;
  /** Absolute folder where the local S3 server keeps its objects. */
  dataDir: string;
  /** Local fan-out threshold; undefined (FANOUT_ROW_THRESHOLD unset) evaluates every upload in one go. */
  fanoutRowThreshold: number | undefined;
  /**
   * With `API_AUTH=jwt`: the issuer and audiences a token must name, and the issuer's key set (`JWKS_FILE`, a JSON
   * Web Key Set file such as the issuer's `jwks_uri` serves); without a file `npm start` makes a key pair and prints
   * a token signed with it. Undefined unless `API_AUTH=jwt`.
   */
  jwt: { issuer: string; audience: string[]; jwksFile: string | undefined } | undefined;
  /**
   * `npm start` logs warnings and errors only, so its banner stays readable; `LOG_LEVEL=DEBUG` (or INFO) adds the
   * handlers' line per request and per upload. The functions on AWS keep their own default (INFO).
   */
  logLevel: string;
}

/** Defaults for `API_AUTH=jwt npm start` with the generated key: any issuer and audience will do locally. */
export const DEV_JWT_ISSUER = 'http://127.0.0.1/dev-issuer';
export const DEV_JWT_AUDIENCE = 'clinical-abstract-classifier';

type Env = Readonly<Record<string, string | undefined>>;

/** `npm start`'s own defaults; the local stack's options default to these too. */
export const DEV_SERVER_DEFAULTS = { port: 8000, s3Port: 4568, bucket: 'abstracts', dataDir: '.local/s3' } as const;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    throw new ConfigError(name, `expected a port number, got ${JSON.stringify(raw)}`);
  return value;
}

function jwtSettings(env: Env, auth: string): DevServerConfig['jwt'] {
  const given = ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWKS_FILE'].filter((name) => env[name]?.trim());
  if (auth !== 'jwt') {
    if (given.length > 0) throw new ConfigError(given[0]!, `is only read with API_AUTH=jwt (API_AUTH is ${auth})`);
    return undefined;
  }
  const jwksFile = env.JWKS_FILE?.trim() || undefined;
  const issuer = env.JWT_ISSUER?.trim();
  const audience = (env.JWT_AUDIENCE ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  // A key set of one's own comes with its own issuer and audience; guessing them would accept nothing.
  if (jwksFile && !issuer) throw new ConfigError('JWT_ISSUER', 'is required with JWKS_FILE (the "iss" of your tokens)');
  if (jwksFile && audience.length === 0)
    throw new ConfigError('JWT_AUDIENCE', 'is required with JWKS_FILE (the "aud" or "client_id" of your tokens)');
  return {
    issuer: issuer || DEV_JWT_ISSUER,
    audience: audience.length > 0 ? audience : [DEV_JWT_AUDIENCE],
    jwksFile: jwksFile ? resolve(jwksFile) : undefined,
  };
}

export function loadDevServerConfig(env: Env = process.env): DevServerConfig {
  const runtime = loadConfig(env);
  return {
    runtime,
    port: port(env, 'PORT', DEV_SERVER_DEFAULTS.port),
    s3Port: port(env, 'S3_PORT', DEV_SERVER_DEFAULTS.s3Port),
    bucket: env.BUCKET?.trim() || DEV_SERVER_DEFAULTS.bucket,
    dataDir: resolve(env.DATA_DIR?.trim() || DEV_SERVER_DEFAULTS.dataDir),
    fanoutRowThreshold: env.FANOUT_ROW_THRESHOLD?.trim() ? runtime.fanout.rowThreshold : undefined,
    jwt: jwtSettings(env, runtime.auth),
    logLevel: env.LOG_LEVEL?.trim() || env.POWERTOOLS_LOG_LEVEL?.trim() ? runtime.logLevel : 'WARN',
  };
}
