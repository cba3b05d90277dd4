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
}

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

export function loadDevServerConfig(env: Env = process.env): DevServerConfig {
  const runtime = loadConfig(env);
  return {
    runtime,
    port: port(env, 'PORT', DEV_SERVER_DEFAULTS.port),
    s3Port: port(env, 'S3_PORT', DEV_SERVER_DEFAULTS.s3Port),
    bucket: env.BUCKET?.trim() || DEV_SERVER_DEFAULTS.bucket,
    dataDir: resolve(env.DATA_DIR?.trim() || DEV_SERVER_DEFAULTS.dataDir),
    fanoutRowThreshold: env.FANOUT_ROW_THRESHOLD?.trim() ? runtime.fanout.rowThreshold : undefined,
  };
}
