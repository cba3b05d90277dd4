/**
 * Small checks on parsed JSON for the validators' fast paths (`acceptPredictRequest`, `acceptManifest`,
 * `acceptLinearConfig`). Each fast path accepts only input its zod schema accepts and builds the very value that
 * schema returns (fields in the schema's order, defaults filled), without loading zod: zod and the schemas cost a
 * third of the predict function's cold start. Anything else (every error, every unusual shape) goes to the zod
 * schema, which alone decides and words what is wrong; the differential tests (test/core/fastPaths.test.ts) hold
 * each fast path to its schema.
 */

export type JsonObject = Record<string, unknown>;

/** A plain object as JSON.parse makes it (not an array, not null, no prototype but Object's or none). */
export function isObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Whether every key of `value` is one of `known` (a strict object's rule); `undefined` values are left to zod. */
export function onlyKeys(value: JsonObject, known: readonly string[]): boolean {
  for (const key of Object.keys(value)) if (!known.includes(key) || value[key] === undefined) return false;
  return true;
}

/** z.number(): finite. */
export const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** z.number().check(z.int()): a safe integer. */
export const isInt = (value: unknown): value is number => Number.isSafeInteger(value);

/** z.number().check(z.minimum(0), z.maximum(1)). */
export const isProbability = (value: unknown): value is number => isNumber(value) && value >= 0 && value <= 1;

/** z.number().check(z.int(), z.positive()). */
export const isPositiveInt = (value: unknown): value is number => isInt(value) && value > 0;

export const isNonEmptyString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** A new array of `value`'s elements when it is an array of `length` (if given) elements that all pass `test`. */
export function arrayOf<T>(value: unknown, test: (element: unknown) => element is T, length?: number): T[] | undefined {
  if (!Array.isArray(value) || (length !== undefined && value.length !== length)) return undefined;
  for (const element of value) if (!test(element)) return undefined;
  return [...value] as T[];
}

/** The keys of `value` that `known` does not list, with their values, in `value`'s order (a loose object's rest). */
export function rest(value: JsonObject, known: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(value)) if (!known.includes(key)) out[key] = value[key];
  return out;
}

/**
 * Whether any value in `value` (objects and arrays, any depth) is undefined or any key `__proto__`. JSON.parse makes
 * neither undefined values nor a `__proto__` that zod would copy, but a fast path leaves such input to zod. A walk
 * with its own stack: a free-form field (`metrics`, a loose object's rest) may nest deeper than the call stack.
 */
export function hasUndefinedOrProto(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (next === undefined) return true;
    if (Array.isArray(next)) pending.push(...next);
    else if (isObject(next))
      for (const key of Object.keys(next)) {
        if (key === '__proto__') return true;
        pending.push(next[key]);
      }
  }
  return false;
}

/**
 * An optional field of a fast path's output: when `value` has `key`, sets `out[key]` to `convert(value[key])`.
 * False when that field is there but not well-formed (`convert` gave undefined), true otherwise.
 */
export function optionalField(
  out: JsonObject,
  value: JsonObject,
  key: string,
  convert: (field: unknown) => unknown,
): boolean {
  if (!(key in value)) return true;
  const field = convert(value[key]);
  if (field === undefined) return false;
  out[key] = field;
  return true;
}
