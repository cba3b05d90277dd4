/**
 * Named errors of the core. Adapters map them to HTTP status codes and CLI exit codes in one place each
 * (layers/adapters/http.ts and scripts/cli.ts).
 */

export interface ErrorLocation {
  line?: number;
  column?: number | string;
  field?: string;
}

export interface ProblemDetail extends ErrorLocation {
  message: string;
}

/** Base class: carries a stable machine-readable code. */
export class ClassifierError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ClassifierError';
    this.code = code;
  }
}

/** Input the user can fix (a CSV, a request): never retried, reported with where it went wrong. */
export class InputError extends ClassifierError {
  readonly details: ProblemDetail[];
  constructor(code: string, message: string, details: ProblemDetail[] = [], options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'InputError';
    this.details = details;
  }
}

/** Rows that cannot be evaluated: the file fails, and every bad row is named (up to a limit; `total` counts all). */
export class InvalidRowsError extends InputError {
  readonly total: number;
  constructor(total: number, details: ProblemDetail[]) {
    const more = total > details.length ? ` (the first ${details.length} are listed)` : '';
    super(
      'invalid_rows',
      `${total} problem${total > 1 ? 's' : ''} in rows that cannot be evaluated${more}; the file was not evaluated, fix these rows and upload it again`,
      details,
    );
    this.name = 'InvalidRowsError';
    this.total = total;
  }
}

/** A model folder that cannot be loaded (missing files, bad manifest, unknown backend). */
export class ModelLoadError extends ClassifierError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('model_load_failed', message, options);
    this.name = 'ModelLoadError';
  }
}

/**
 * A configuration value that is missing or invalid: `key` names it as the user wrote it (an environment variable,
 * a CLI flag, a CDK context key, a field of a model's config file).
 */
export class ConfigError extends ClassifierError {
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('invalid_config', `${key}: ${message}`, options);
    this.name = 'ConfigError';
    this.key = key;
  }
}
