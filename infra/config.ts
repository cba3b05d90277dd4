import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_AUTH_MODES, type ApiAuth } from '#adapters/api/routes.ts';
import { DEFAULTS } from '#adapters/config.ts';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { ConfigError } from '#core/errors.ts';
import { closestKey, isCdkContextKey } from './contextKeys.ts';

/**
 * Everything a deployment can tune, read once from CDK context (`cdk.json` or `-c key=value`).
 * Values given with `-c` arrive as strings, values from `cdk.json` as JSON, so every reader accepts both
 * and throws with the key's name, so a bad value fails the synth instead of deploying a surprise. A key that nothing
 * reads (a misspelt name) fails the synth too, naming the closest key: every key `readConfig` reads is a valid one.
 */
export interface ClassifierConfig {
  /** Model folder copied into the image at /opt/model (a `linear` or `bert-onnx` model folder). */
  readonly modelDir: string;
  /** Hugging Face model id exported to ONNX while the image builds (Docker build argument BERT_MODEL). */
  readonly bertModel: string | undefined;
  /**
   * Install onnxruntime-node and @huggingface/transformers in the image. Undefined: only when the model folder's
   * backend is bert-onnx or a bert model is exported at build time.
   */
  readonly bertRuntime: boolean | undefined;
  readonly architecture: 'x86_64' | 'arm64';
  /** Major version of the Lambda Node.js base image (20 is deprecated on Lambda). */
  readonly nodeVersion: '22' | '24';
  readonly memoryMb: FunctionSizes;
  readonly timeoutSeconds: FunctionSizes;
  /**
   * Reserve concurrency for predict, evaluate and chunk (a cap on what a flood of requests or uploads can cost).
   * Off by default: reservations need an account concurrency quota well above the new-account default.
   */
  readonly costGuard: boolean;
  /** Reserved concurrency per function; 0 means none. */
  readonly reservedConcurrency: { readonly predict: number; readonly evaluate: number; readonly chunk: number };
  /** Lambda active tracing (X-Ray) on every function. */
  readonly tracing: boolean;
  /** Stack traces through the bundles' source maps (NODE_OPTIONS=--enable-source-maps): slower cold starts. */
  readonly sourceMaps: boolean;
  /** Every route's own limit (API Gateway's default route throttling): shared by all callers of that route. */
  readonly throttle: Throttle;
  /** POST /predict's own, lower limit: the one route whose requests cost compute. */
  readonly predictThrottle: Throttle;
  /** Origins allowed to call the API from a browser; empty means no CORS headers at all. */
  readonly corsOrigins: readonly string[];
  /** Who may call the protected routes (POST /predict): anyone, SigV4-signed callers, or bearers of a JWT. */
  readonly auth: ApiAuth;
  /** With auth=jwt: an existing OIDC issuer and its audiences, or a Cognito user pool the stack creates. */
  readonly jwt: JwtSettings | undefined;
  /** A CSV with more data rows than this fans out to the state machine. */
  readonly fanoutRowThreshold: number;
  /** Child workflows one Distributed Map runs at once (with costGuard, also the chunk function's default reservation). */
  readonly fanoutMaxConcurrency: number;
  /** Manifest items (byte ranges) handed to one chunk invocation. */
  readonly fanoutItemsPerBatch: number;
  /** S3 notifications (one file each) handed to one evaluate invocation. */
  readonly evaluateBatchSize: number;
  /**
   * Most evaluate invocations the SQS event source runs at once (its `maximumConcurrency`, 2–1000): uploads can
   * never take more of the account's concurrency than this, whatever arrives.
   */
  readonly evaluateMaxConcurrency: number;
  /** Days after which objects under results/ expire. */
  readonly resultsExpirationDays: number;
  /** Days after which uploads under incoming/ expire; undefined: kept (opt-in, they may be the only copy). */
  readonly incomingExpirationDays: number | undefined;
  readonly logRetentionDays: number;
  /** Keep the bucket (and its data) when the stack is deleted. */
  readonly retainData: boolean;
  /** An existing SNS topic that alarms notify; none means alarms only show in the console. */
  readonly alarmTopicArn: string | undefined;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly limits: { readonly maxTexts: number; readonly maxTextChars: number; readonly maxBodyBytes: number };
}

export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

export type JwtSettings =
  | { readonly kind: 'issuer'; readonly issuer: string; readonly audience: readonly string[] }
  | { readonly kind: 'cognito' };

export interface FunctionSizes {
  readonly health: number;
  readonly predict: number;
  readonly evaluate: number;
  readonly chunk: number;
  readonly aggregate: number;
}

/** An App's `node` (a Stack's would also see construct-level context). */
export interface ContextSource {
  tryGetContext(key: string): unknown;
  getAllContext(): Record<string, unknown>;
}

function invalidContext(key: string, expected: string, value: unknown): ConfigError {
  return new ConfigError(key, `CDK context value must be ${expected}; got ${JSON.stringify(value)}`);
}

/** The checkout's root: relative `modelDir` values and the image's build context are resolved against it. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

// CloudWatch Logs accepts only these retention periods; anything else fails at deploy time, so fail at synth.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];
const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;

export function readConfig(context: ContextSource): ClassifierConfig {
  const read = new ContextReader(context);
  const bertModel = read.optionalString('bertModel');
  const modelDir = resolve(REPO_ROOT, read.string('modelDir', DEFAULT_MODEL_DIR));
  const fanoutMaxConcurrency = read.integer('fanoutMaxConcurrency', 10, 1, 1000);
  const costGuard = read.boolean('costGuard', false);
  const evaluateReserved = read.integer('evaluateReservedConcurrency', costGuard ? 5 : 0, 0, 1000);
  const auth = readAuth(read);
  const config: ClassifierConfig = {
    modelDir,
    bertModel,
    bertRuntime: read.optionalBoolean('bertRuntime') ?? (bertModel !== undefined ? true : undefined),
    architecture: read.oneOf('architecture', ['x86_64', 'arm64'] as const, 'x86_64'),
    nodeVersion: read.oneOf('nodeVersion', ['22', '24'] as const, '22'),
    memoryMb: {
      health: read.integer('healthMemoryMb', 256, 128, 10_240),
      predict: read.integer('predictMemoryMb', 1024, 128, 10_240),
      evaluate: read.integer('evaluateMemoryMb', 2048, 128, 10_240),
      chunk: read.integer('chunkMemoryMb', 2048, 128, 10_240),
      aggregate: read.integer('aggregateMemoryMb', 1024, 128, 10_240),
    },
    timeoutSeconds: {
      health: read.integer('healthTimeoutSeconds', 10, 1, 29),
      // API Gateway gives up on an integration after 30 s; a longer Lambda timeout would only bill for nothing.
      predict: read.integer('predictTimeoutSeconds', 29, 1, 29),
      evaluate: read.integer('evaluateTimeoutSeconds', 900, 1, 900),
      chunk: read.integer('chunkTimeoutSeconds', 900, 1, 900),
      aggregate: read.integer('aggregateTimeoutSeconds', 900, 1, 900),
    },
    costGuard,
    // Caps on what a runaway (a flood of requests or uploads) can cost, only with costGuard: reserving 25 needs an
    // account quota of at least 125 (Lambda keeps 100 unreserved), and new accounts often have 10.
    reservedConcurrency: {
      predict: read.integer('predictReservedConcurrency', costGuard ? 10 : 0, 0, 1000),
      evaluate: evaluateReserved,
      chunk: read.integer('chunkReservedConcurrency', costGuard ? fanoutMaxConcurrency : 0, 0, 1000),
    },
    tracing: read.boolean('tracing', true),
    sourceMaps: read.boolean('sourceMaps', false),
    throttle: {
      rateLimit: read.integer('throttleRateLimit', 20, 1, 100_000),
      burstLimit: read.integer('throttleBurstLimit', 40, 1, 100_000),
    },
    // A 1 MB request runs up to seconds of CPU: 10 per second is ~10 busy predict instances at most.
    predictThrottle: {
      rateLimit: read.integer('predictThrottleRateLimit', 10, 1, 100_000),
      burstLimit: read.integer('predictThrottleBurstLimit', 20, 1, 100_000),
    },
    corsOrigins: read.stringList('corsOrigins', []),
    ...auth,
    fanoutRowThreshold: read.integer('fanoutRowThreshold', DEFAULTS.fanoutRowThreshold, 1, Number.MAX_SAFE_INTEGER),
    fanoutMaxConcurrency,
    // Items are ~1,000 rows each: five per invocation amortize a cold start and cut state transitions.
    fanoutItemsPerBatch: read.integer('fanoutItemsPerBatch', 5, 1, 100_000),
    // One file per invocation by default: each file then has the whole timeout to itself.
    evaluateBatchSize: read.integer('evaluateBatchSize', 1, 1, 10),
    // Uploads never take more than this many slots: /predict keeps the rest of the account's concurrency.
    evaluateMaxConcurrency: read.integer(
      'evaluateMaxConcurrency',
      evaluateReserved >= 2 ? evaluateReserved : DEFAULT_EVALUATE_MAX_CONCURRENCY,
      2,
      1000,
    ),
    resultsExpirationDays: read.integer('resultsExpirationDays', 90, 1, 36_500),
    incomingExpirationDays: read.optionalInteger('incomingExpirationDays', 1, 36_500),
    logRetentionDays: read.oneOf('logRetentionDays', LOG_RETENTION_DAYS, 30),
    retainData: read.boolean('retainData', true),
    alarmTopicArn: read.optionalString('alarmTopicArn', /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]+$/),
    logLevel: read.oneOf('logLevel', LOG_LEVELS, DEFAULTS.logLevel),
    limits: {
      maxTexts: read.integer('maxTexts', DEFAULTS.limits.maxTexts, 1, 10_000),
      maxTextChars: read.integer('maxTextChars', DEFAULTS.limits.maxTextChars, 1, 1_000_000),
      // A Lambda request payload is capped at 6 MB; API Gateway's at 10 MB.
      maxBodyBytes: read.integer('maxBodyBytes', DEFAULTS.limits.maxBodyBytes, 1, 6_000_000),
    },
  };
  for (const [prefix, throttle] of [
    ['throttle', config.throttle],
    ['predictThrottle', config.predictThrottle],
  ] as const) {
    if (throttle.burstLimit < throttle.rateLimit)
      throw invalidContext(
        `${prefix}BurstLimit`,
        `at least ${prefix}RateLimit (${throttle.rateLimit})`,
        throttle.burstLimit,
      );
  }
  if (evaluateReserved > 0 && config.evaluateMaxConcurrency > Math.max(evaluateReserved, 2)) {
    // Polling faster than the function may run only throttles, and throttled messages burn their receives.
    throw invalidContext(
      'evaluateMaxConcurrency',
      `at most evaluateReservedConcurrency (${evaluateReserved}; 2 is the least SQS allows)`,
      config.evaluateMaxConcurrency,
    );
  }
  const { chunk } = config.reservedConcurrency;
  if (chunk > 0 && chunk < config.fanoutMaxConcurrency) {
    // Fewer slots than one map runs at once: every fan-out would throttle itself, by construction.
    throw invalidContext(
      'chunkReservedConcurrency',
      `0 (none) or at least fanoutMaxConcurrency (${config.fanoutMaxConcurrency})`,
      chunk,
    );
  }
  if (config.corsOrigins.some((origin) => origin !== '*' && !/^https?:\/\/[^/\s]+$/.test(origin))) {
    throw invalidContext(
      'corsOrigins',
      'a list of origins like https://example.org (no path) or "*"',
      config.corsOrigins,
    );
  }
  read.rejectUnreadKeys();
  return config;
}

/** Uploads evaluated at once unless configured: 5 of the default account quota of 1,000 (see the README). */
export const DEFAULT_EVALUATE_MAX_CONCURRENCY = 5;

/**
 * `auth` (none, iam or jwt; `predictRequiresIam=true`, the older spelling, means iam) and, for jwt, where tokens
 * come from: `jwtIssuer` + `jwtAudience` (an existing OIDC issuer), or `jwtCognito=true` (a user pool of the stack).
 */
function readAuth(read: ContextReader): { auth: ApiAuth; jwt: JwtSettings | undefined } {
  const legacyIam = read.optionalBoolean('predictRequiresIam');
  const given = read.optionalString('auth');
  const auth = given === undefined ? (legacyIam ? 'iam' : 'none') : API_AUTH_MODES.find((mode) => mode === given);
  if (auth === undefined) throw invalidContext('auth', `one of ${API_AUTH_MODES.join(', ')}`, given);
  if (legacyIam !== undefined && legacyIam !== (auth === 'iam'))
    throw invalidContext('predictRequiresIam', `${auth === 'iam'} with auth=${auth} (or leave it out)`, legacyIam);
  const issuer = read.optionalString('jwtIssuer');
  const audience = read.stringList('jwtAudience', []);
  const cognito = read.optionalBoolean('jwtCognito');
  const jwtKeys = { jwtIssuer: issuer, jwtAudience: audience.length > 0 ? audience : undefined, jwtCognito: cognito };
  if (auth !== 'jwt') {
    const stray = Object.entries(jwtKeys).find(([, value]) => value !== undefined);
    if (stray) throw invalidContext(stray[0], `given only with auth=jwt (auth is ${auth})`, stray[1]);
    return { auth, jwt: undefined };
  }
  if (cognito) {
    if (issuer !== undefined)
      throw invalidContext('jwtIssuer', 'absent with jwtCognito=true (the pool is the issuer)', issuer);
    if (audience.length > 0)
      throw invalidContext('jwtAudience', 'absent with jwtCognito=true (the app client is the audience)', audience);
    return { auth, jwt: { kind: 'cognito' } };
  }
  // API Gateway fetches the issuer's discovery document and keys over HTTPS.
  if (issuer === undefined || !/^https:\/\/[^\s/]+(\/\S*)?$/.test(issuer))
    throw invalidContext('jwtIssuer', 'the https:// URL of an OIDC issuer with auth=jwt (or jwtCognito=true)', issuer);
  if (audience.length === 0)
    throw invalidContext('jwtAudience', 'one or more audiences (client ids) with jwtIssuer', audience);
  // Kept as given: API Gateway compares it with the tokens' iss exactly (Auth0's ends in "/", Cognito's does not).
  return { auth, jwt: { kind: 'issuer', issuer, audience } };
}

class ContextReader {
  private readonly readKeys = new Set<string>();

  constructor(private readonly context: ContextSource) {}

  /** Throws on the first context key that was given but never read (call after reading every key). */
  rejectUnreadKeys(): void {
    for (const key of Object.keys(this.context.getAllContext())) {
      if (this.readKeys.has(key) || isCdkContextKey(key)) continue;
      const closest = closestKey(key, this.readKeys);
      const hint = closest ? `did you mean "${closest}"?` : `the keys are ${[...this.readKeys].sort().join(', ')}`;
      throw new ConfigError(key, `unknown CDK context key; ${hint}`);
    }
  }

  private raw(key: string): unknown {
    this.readKeys.add(key);
    const value = this.context.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  }

  string(key: string, fallback: string): string {
    return this.optionalString(key) ?? fallback;
  }

  optionalString(key: string, pattern?: RegExp): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || (pattern !== undefined && !pattern.test(value))) {
      throw invalidContext(key, pattern ? `a string matching ${pattern}` : 'a string', value);
    }
    return value;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const parsed =
      typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw invalidContext(key, `an integer from ${min} to ${max}`, value);
    }
    return parsed;
  }

  optionalInteger(key: string, min: number, max: number): number | undefined {
    return this.raw(key) === undefined ? undefined : this.integer(key, min, min, max);
  }

  boolean(key: string, fallback: boolean): boolean {
    return this.optionalBoolean(key) ?? fallback;
  }

  optionalBoolean(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw invalidContext(key, 'true or false', value);
  }

  stringList(key: string, fallback: readonly string[]): readonly string[] {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    // `-c corsOrigins=https://a.org,https://b.org` arrives as one string.
    const list =
      typeof value === 'string'
        ? value
            .split(',')
            .map((item) => item.trim())
            .filter(Boolean)
        : value;
    if (!Array.isArray(list) || !list.every((item): item is string => typeof item === 'string')) {
      throw invalidContext(key, 'a list of strings (or one comma-separated string)', value);
    }
    return list;
  }

  oneOf<T extends string | number>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(key);
    if (value === undefined) return fallback;
    const match = allowed.find((candidate) => String(candidate) === String(value));
    if (match === undefined) throw invalidContext(key, `one of ${allowed.join(', ')}`, value);
    return match;
  }
}
