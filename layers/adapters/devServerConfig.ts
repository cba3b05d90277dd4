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
   * `npm start` logs warnings and errors only, so its banner stays readable; `LOG_LEVEL=DEBUG` (or INFO) adds the
   * handlers' line per request and per upload. The functions on AWS keep their own default (INFO).
   */
  logLevel: string;
}

type Env = Readonly<Record<string, string | undefined>>;

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
    port: port(env, 'PORT', 8000),
    s3Port: port(env, 'S3_PORT', 4568),
    bucket: env.BUCKET?.trim() || 'abstracts',
    dataDir: resolve(env.DATA_DIR?.trim() || '.local/s3'),
    fanoutRowThreshold: env.FANOUT_ROW_THRESHOLD?.trim() ? runtime.fanout.rowThreshold : undefined,
    logLevel: env.LOG_LEVEL?.trim() || env.POWERTOOLS_LOG_LEVEL?.trim() ? runtime.logLevel : 'WARN',
  };
}
