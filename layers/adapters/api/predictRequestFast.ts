import { DEFAULT_TOP_TERMS, MAX_TOP_TERMS } from '#core/explanation.ts';
import { isInt, isObject, type JsonObject, onlyKeys } from '#core/plainJson.ts';
import { recordText } from '#core/text.ts';
import type { ApiLimits } from '../config.ts';
import type { PredictRequest } from './predictRequest.ts';
import { MAX_EXPLAINED_TERMS, tooLongAfterNfkc } from './requestBounds.ts';

/** A text the schema accepts: at most `max` characters, sent and as read, and not only whitespace. */
const goodText = (text: string, max: number): boolean =>
  text.length <= max && text.trim().length > 0 && tooLongAfterNfkc(max, text) === undefined;

function acceptTexts(value: unknown, limits: ApiLimits): string[] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > limits.maxTexts) return undefined;
  for (const text of value) if (typeof text !== 'string' || !goodText(text, limits.maxTextChars)) return undefined;
  return [...(value as string[])];
}

function acceptItems(value: unknown, limits: ApiLimits): { title: string; abstract: string }[] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > limits.maxTexts) return undefined;
  const items: { title: string; abstract: string }[] = [];
  for (const item of value) {
    if (!isObject(item) || !onlyKeys(item, ['title', 'abstract'])) return undefined;
    const { title = '', abstract = '' } = item;
    if (typeof title !== 'string' || typeof abstract !== 'string') return undefined;
    const text = recordText(title, abstract);
    if (text.length === 0 || !goodText(text, limits.maxTextChars)) return undefined;
    items.push({ title, abstract });
  }
  return items;
}

/**
 * The request `predictRequestSchema(limits)` makes of `body`, when `body` is a well-formed request; undefined for
 * anything else, which the caller then hands to that schema (loaded only then) for its verdict and its errors. The
 * predict function thus answers a valid request without loading zod (see #core/plainJson.ts).
 */
export function acceptPredictRequest(body: unknown, limits: ApiLimits): PredictRequest | undefined {
  if (!isObject(body) || !onlyKeys(body, ['texts', 'items', 'explain', 'explain_top'])) return undefined;
  const { explain, explain_top: top } = body;
  if ((body.texts === undefined) === (body.items === undefined)) return undefined;
  if (explain !== undefined && typeof explain !== 'boolean') return undefined;
  if (top !== undefined && (explain !== true || !isInt(top) || top < 1 || top > MAX_TOP_TERMS)) return undefined;
  const request: JsonObject = {};
  if (body.texts !== undefined) {
    const texts = acceptTexts(body.texts, limits);
    if (!texts) return undefined;
    request.texts = texts;
  } else {
    const items = acceptItems(body.items, limits);
    if (!items) return undefined;
    request.items = items;
  }
  const count = (request.texts ?? request.items) as unknown[];
  if (explain === true && ((top as number | undefined) ?? DEFAULT_TOP_TERMS) * count.length > MAX_EXPLAINED_TERMS)
    return undefined;
  if (explain !== undefined) request.explain = explain;
  if (top !== undefined) request.explain_top = top;
  return request as PredictRequest;
}
