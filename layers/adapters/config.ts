import { DEFAULT_FORMULA_CELLS, FORMULA_CELLS, type FormulaCells } from '#core/csv/predictionsCsv.ts';
import { ConfigError } from '#core/errors.ts';
import { DEFAULT_TOP_TERMS, MAX_TOP_TERMS } from '#core/explanation.ts';
import type { EvidenceOptions } from '#core/pipeline/evaluateCsv.ts';
import { API_AUTH_MODES, type ApiAuth } from './api/routes.ts';
import { type ApiLimits, DEFAULT_LIMITS } from './limits.ts';

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
  /** Evidence in the S3 results (evaluate and chunk functions). */
  evidence: EvidenceOptions;
  /** The built web page and docs (layers/web/build.ts); undefined: the `web/` folder beside the function's bundle. */
  webDir: string | undefined;
  /**
   * How this deployment protects /predict (`API_AUTH`: none, iam or jwt; API Gateway checks the credentials). The
   * page and the OpenAPI document follow it: a notice for iam, a token field and a bearer scheme for jwt.
   */
  auth: ApiAuth;
  /** Input cells a spreadsheet would run as formulas, in predictions.csv (`CSV_FORMULAS`: neutralise or keep). */
  formulas: FormulaCells;
}

/**
 * S3 results by default: the report's "Errors to look at" with highlighted evidence (about 50 explanations per
 * file), no `evidence` column (one explanation per row: `EVIDENCE_COLUMN=true`).
 */
export const DEFAULT_EVIDENCE: EvidenceOptions = { top: DEFAULT_TOP_TERMS, column: false, misclassified: true };

export { type ApiLimits, DEFAULT_LIMITS } from './limits.ts';

/**
 * The one source of every default a deployment and `npm start` share: the functions' environment (below), the CDK
 * context (infra/config.ts) and the local stack read these, so a default changes in one place.
 */
export const DEFAULTS = {
  limits: DEFAULT_LIMITS,
  evidence: DEFAULT_EVIDENCE,
  /** A CSV with more data rows goes through the fan-out. */
  fanoutRowThreshold: 20_000,
  logLevel: 'INFO',
  auth: 'none' as ApiAuth,
  formulas: DEFAULT_FORMULA_CELLS,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

function positiveInteger(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new ConfigError(name, `expected a positive integer, got ${JSON.stringify(raw)}`);
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

function evidenceWords(env: Env): number {
  const words = positiveInteger(env, 'EVIDENCE_WORDS', DEFAULT_EVIDENCE.top);
  if (words > MAX_TOP_TERMS)
    throw new ConfigError('EVIDENCE_WORDS', `expected 1 to ${MAX_TOP_TERMS} words per label, got ${words}`);
  return words;
}

function flag(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `expected true or false, got ${JSON.stringify(env[name])}`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  const match = allowed.find((value) => value === raw);
  if (match === undefined)
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(env[name])}`);
  return match;
}

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'];

export function loadConfig(env: Env = process.env): RuntimeConfig {
  const logLevel = (env.LOG_LEVEL ?? env.POWERTOOLS_LOG_LEVEL ?? DEFAULTS.logLevel).toUpperCase();
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(
      'LOG_LEVEL',
      `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(env.LOG_LEVEL)}`,
    );
  const arn = env.STATE_MACHINE_ARN?.trim();
  return {
    modelDir: env.MODEL_DIR?.trim() || undefined,
    limits: {
      maxTexts: positiveInteger(env, 'MAX_TEXTS', DEFAULT_LIMITS.maxTexts),
      maxTextChars: positiveInteger(env, 'MAX_TEXT_CHARS', DEFAULT_LIMITS.maxTextChars),
      maxBodyBytes: positiveInteger(env, 'MAX_BODY_BYTES', DEFAULT_LIMITS.maxBodyBytes),
    },
    fanout: {
      rowThreshold: positiveInteger(env, 'FANOUT_ROW_THRESHOLD', DEFAULTS.fanoutRowThreshold),
      stateMachineArn: arn || undefined,
    },
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'clinical-abstract-classifier',
    logLevel,
    s3Endpoint: endpoint(env, 'AWS_ENDPOINT_URL_S3'),
    evidence: {
      top: evidenceWords(env),
      column: flag(env, 'EVIDENCE_COLUMN', DEFAULT_EVIDENCE.column),
      misclassified: flag(env, 'REPORT_EVIDENCE', DEFAULT_EVIDENCE.misclassified),
    },
    webDir: env.WEB_DIR?.trim() || undefined,
    auth: oneOf(env, 'API_AUTH', API_AUTH_MODES, DEFAULTS.auth),
    formulas: oneOf(env, 'CSV_FORMULAS', FORMULA_CELLS, DEFAULTS.formulas),
  };
}
