import { ConfigError } from '../core/errors.ts';

/**
 * The only place that reads `process.env` for the functions; the dev server adds its own few in devServerConfig.ts.
 * Every value is parsed once, and a bad value fails loudly with the variable's name instead of falling back silently.
 */
export interface RuntimeConfig {
  /** Model folder; undefined means the embedded default. */
  modelDir: string | undefined;
  limits: ApiLimits;
  fanout: { rowThreshold: number; stateMachineArn: string | undefined };
  serviceName: string;
  logLevel: string;
  /** An S3-compatible endpoint (local server, tests); path-style addressing is used with it. */
  s3Endpoint: string | undefined;
}

export interface ApiLimits {
  maxTexts: number;
  maxTextChars: number;
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: ApiLimits = { maxTexts: 64, maxTextChars: 20_000, maxBodyBytes: 1_048_576 };

type Env = Readonly<Record<string, string | undefined>>;

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(name, `expected a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

function endpoint(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  try {
    return new URL(raw).toString();
  } catch {
    throw new ConfigError(name, `expected a URL, got ${JSON.stringify(raw)}`);
  }
}

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'];

export function loadConfig(env: Env = process.env): RuntimeConfig {
  const logLevel = (env.LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`);
  const arn = env.STATE_MACHINE_ARN?.trim();
  return {
    modelDir: env.MODEL_DIR?.trim() || undefined,
    limits: {
      maxTexts: positiveInteger(env, 'MAX_TEXTS', DEFAULT_LIMITS.maxTexts),
      maxTextChars: positiveInteger(env, 'MAX_TEXT_CHARS', DEFAULT_LIMITS.maxTextChars),
      maxBodyBytes: positiveInteger(env, 'MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
    },
    fanout: { rowThreshold: positiveInteger(env, 'FANOUT_ROW_THRESHOLD', 20_000), stateMachineArn: arn || undefined },
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'clinical-abstract-classifier',
    logLevel,
    s3Endpoint: endpoint(env, 'AWS_ENDPOINT_URL_S3'),
  };
}
