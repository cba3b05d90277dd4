/// <reference lib="dom" />

import { DEFAULT_LIMITS as API_DEFAULT_LIMITS } from '#adapters/limits.ts';
import type { Confidence } from '#core/confidence.ts';
import type { ShortName } from '#core/labels.ts';
import type { TextKind } from '#model/router.ts';
import { authorizationHeaders } from './accessToken.ts';

/** The shapes the page reads from the API (documented in /openapi.json). */
export interface Term {
  text: string;
  weight: number;
  spans: [number, number][];
}

export interface LabelEvidence {
  logit: number;
  bias: number;
  terms: Term[];
  rest: number;
}

export interface Prediction {
  input: string;
  proba: Record<ShortName, number>;
  labels_short: ShortName[];
  labels: string[];
  kind: TextKind;
  confidence: Confidence;
  explanation?: Partial<Record<ShortName, LabelEvidence>>;
}

/** What /predict accepts in this deployment (GET /health → limits). */
export interface Limits {
  max_texts: number;
  max_text_chars: number;
  max_body_bytes: number;
}

export interface Health {
  model: {
    name: string;
    version: string;
    backend: string;
    thresholds: Record<string, number>;
    training_data?: { sha256: string; rows?: number };
  };
  /** Absent from older deployments: the page then uses DEFAULT_LIMITS. */
  limits?: Limits;
}

/** The API's own defaults (layers/adapters/limits.ts), for a deployment whose /health predates `limits`. */
export const DEFAULT_LIMITS: Limits = {
  max_texts: API_DEFAULT_LIMITS.maxTexts,
  max_text_chars: API_DEFAULT_LIMITS.maxTextChars,
  max_body_bytes: API_DEFAULT_LIMITS.maxBodyBytes,
};

/** Absolute URL of POST /predict as this page reaches it (for the "call this from code" snippets). */
export const predictUrl = (): string => endpoint('predict');

/** One problem the API names in an error (`error.details`): where in the request (`$.texts[0]`), and what. */
export interface ApiErrorDetail {
  path?: string;
  message: string;
}

/** An answer of the API that is not a success: its status, code, message and details, as the API wrote them. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: readonly ApiErrorDetail[] = [],
  ) {
    super(message);
  }
}

/** The well-formed entries of an error body's `details` (anything else in it is ignored, never shown raw). */
function detailsOf(value: unknown): ApiErrorDetail[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((d: unknown) => {
    if (typeof d !== 'object' || d === null) return [];
    const { path, message } = d as { path?: unknown; message?: unknown };
    if (typeof message !== 'string') return [];
    return [typeof path === 'string' ? { path, message } : { message }];
  });
}

// Relative URLs: the page works at the root of the API and behind a base path alike.
const endpoint = (path: string): string => new URL(path, document.baseURI).href;

async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as {
      error?: { code?: string; message?: string; details?: unknown };
      message?: string;
    };
    return new ApiError(
      response.status,
      body.error?.code ?? 'http_error',
      body.error?.message ?? body.message ?? `HTTP ${response.status}`,
      detailsOf(body.error?.details),
    );
  } catch {
    return new ApiError(response.status, 'http_error', `HTTP ${response.status} ${response.statusText}`);
  }
}

export async function predict(
  body: { texts: string[] } | { items: { title: string; abstract: string }[] },
  explain = false,
): Promise<Prediction[]> {
  const response = await fetch(endpoint('predict'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authorizationHeaders() },
    body: JSON.stringify(explain ? { ...body, explain: true } : body),
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as Prediction[];
}

export async function health(): Promise<Health> {
  const response = await fetch(endpoint('health'), { headers: { accept: 'application/json' } });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as Health;
}

/** The model's training fingerprints (GET /training-fingerprints), or undefined when the model folder has none. */
export async function trainingFingerprintsFile(): Promise<Uint8Array | undefined> {
  const response = await fetch(endpoint('training-fingerprints'));
  if (response.status === 404) return undefined;
  if (!response.ok) throw await failure(response);
  return new Uint8Array(await response.arrayBuffer());
}
