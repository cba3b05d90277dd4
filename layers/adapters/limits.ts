/**
 * The API's request limits and their defaults: one module without imports, so the functions' configuration
 * (config.ts) and the web page (layers/web/page/api.ts, bundled for the browser) share the same numbers.
 */

export interface ApiLimits {
  maxTexts: number;
  maxTextChars: number;
  maxBodyBytes: number;
}

export const DEFAULT_LIMITS: ApiLimits = { maxTexts: 64, maxTextChars: 20_000, maxBodyBytes: 1_048_576 };
