import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { $ZodError } from 'zod/v4/core';
import { firstInvalidUtf8Byte } from '#core/csv/encoding.ts';
import { ClassifierError } from '#core/errors.ts';

/**
 * HTTP adapter helpers shared by the API functions: named HTTP errors, JSON responses, and the one place that
 * maps any error to a status. Client errors (4xx) say what is wrong; anything else answers a generic 500 with
 * the request id and logs the details.
 */
export interface ErrorDetail {
  path?: string;
  message: string;
}

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    details: ErrorDetail[] = [],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
};

/** Every JSON answer: no caching unless the caller says otherwise, and no content sniffing by browsers. */
export function jsonTextResponse(status: number, json: string, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode: status,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...headers,
    },
    body: json,
  };
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return jsonTextResponse(status, JSON.stringify(body), headers);
}

export function errorResponse(error: unknown, requestId: string, logger: Logger): HttpResult {
  if (error instanceof HttpError) {
    logger.info('request rejected', { status: error.status, code: error.code });
    return jsonResponse(
      error.status,
      {
        error: {
          code: error.code,
          message: error.message,
          ...(error.details.length ? { details: error.details } : {}),
          requestId,
        },
      },
      { ...error.headers, 'x-request-id': requestId },
    );
  }
  // Unknown failures: full details to the log, none to the client.
  logger.error('request failed', {
    error: error instanceof Error ? error : new Error(String(error)),
    ...(error instanceof ClassifierError ? { code: error.code } : {}),
  });
  return jsonResponse(
    500,
    { error: { code: 'internal_error', message: 'internal error; quote the request id when reporting it', requestId } },
    { 'x-request-id': requestId },
  );
}

/** `$.texts[3]` from zod's path array. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('')}`;
}

export function validationError(error: $ZodError): HttpError {
  const details = error.issues.map((issue) => ({ path: jsonPath(issue.path), message: issue.message }));
  return new HttpError(
    400,
    'invalid_request',
    `the request body does not match the schema (${details.length} problem${details.length > 1 ? 's' : ''})`,
    details,
  );
}

export function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export const requestIdOf = (event: APIGatewayProxyEventV2, fallback: string): string =>
  event.requestContext?.requestId || fallback;

/** Charsets a JSON body may declare: JSON between systems is UTF-8 (RFC 8259), and ASCII is a subset of it. */
const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/** The `charset` parameter of a Content-Type (lower case, quotes removed); undefined when none is given. */
function charsetOf(contentType: string): string | undefined {
  for (const parameter of contentType.split(';').slice(1)) {
    const [name, ...value] = parameter.split('=');
    if (name?.trim().toLowerCase() === 'charset')
      return value
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
  }
  return undefined;
}

/**
 * The body's text. API Gateway hands over a body that is not valid UTF-8 base64-encoded (`isBase64Encoded`), and so
 * does the local server: those bytes are checked here, and a byte that is not UTF-8 is a 400 naming its offset (the
 * CSV reader's rule), never a U+FFFD in the text that is classified.
 */
function bodyText(event: APIGatewayProxyEventV2): string {
  const raw = event.body ?? '';
  if (!event.isBase64Encoded) return raw;
  const bytes = Buffer.from(raw, 'base64');
  const at = firstInvalidUtf8Byte(bytes);
  if (at !== undefined) {
    const hex = `0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')}`;
    throw new HttpError(
      400,
      'invalid_utf8',
      `the body is not UTF-8: byte ${at} (counting from 0) is ${hex}, which is not UTF-8 text; send the JSON as UTF-8`,
      [{ path: '$', message: `byte ${at} (${hex}) is not UTF-8` }],
    );
  }
  return bytes.toString('utf8');
}

/**
 * Reads a JSON body within the size limit, insisting on application/json in UTF-8; throws HttpError 413/415/400.
 * A declared charset other than UTF-8 (`charset=windows-1252`) is refused with 415 rather than guessed at.
 */
export function readJsonBody(event: APIGatewayProxyEventV2, maxBytes: number): unknown {
  const contentType = header(event, 'content-type');
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json' && !mediaType?.endsWith('+json')) {
    throw new HttpError(
      415,
      'unsupported_media_type',
      `the body must be application/json, got ${contentType ? JSON.stringify(contentType) : 'no content-type'}`,
    );
  }
  const charset = charsetOf(contentType!);
  if (charset !== undefined && !UTF8_CHARSETS.has(charset))
    throw new HttpError(
      415,
      'unsupported_charset',
      `the body must be UTF-8 JSON (RFC 8259), but the request declares charset=${charset}; send it as UTF-8 (charset=utf-8, or no charset)`,
    );
  const raw = event.body ?? '';
  // Check the size before decoding: a base64 body is 4/3 of its bytes.
  const approxBytes = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw, 'utf8');
  if (approxBytes > maxBytes)
    throw new HttpError(413, 'payload_too_large', `the body is larger than ${maxBytes} bytes`);
  const text = bodyText(event);
  if (text.trim() === '')
    throw new HttpError(400, 'invalid_json', 'the body is empty; expected a JSON object such as {"texts": ["..."]}');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(
      400,
      'invalid_json',
      `the body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
