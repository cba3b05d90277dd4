import { TEXT_KINDS } from '#model/router.ts';
import { LABELS } from './labels.ts';
import type { ModelManifest } from './manifestSchema.ts';
import {
  arrayOf,
  hasUndefinedOrProto,
  isNonEmptyString,
  isObject,
  isPositiveInt,
  isProbability,
  type JsonObject,
  onlyKeys,
  optionalField,
  rest,
} from './plainJson.ts';

/**
 * The fast path of `manifestSchema` (manifestSchema.ts): the manifest it makes of a well-formed `model.json`, built
 * here without zod, or undefined, and the schema decides (see plainJson.ts). Every cold start reads a manifest.
 */

const MANIFEST_KEYS = [
  'name',
  'version',
  'backend',
  'labels',
  'thresholds',
  'text',
  'router',
  'confidence',
  'kinds',
  'backendConfig',
  'metrics',
  'provenance',
] as const;

/** z.strictObject whose every field is a probability, in `keys` order. */
function probabilities(value: unknown, keys: readonly string[]): Record<string, number> | undefined {
  if (!isObject(value) || !onlyKeys(value, keys)) return undefined;
  const out: Record<string, number> = {};
  for (const key of keys) {
    if (!isProbability(value[key])) return undefined;
    out[key] = value[key];
  }
  return out;
}

/** z.array(z.string().check(z.minLength(1))).check(z.minLength(1)). */
const phrases = (value: unknown): string[] | undefined => {
  const out = arrayOf(value, isNonEmptyString);
  return out && out.length > 0 ? out : undefined;
};

function router(value: unknown): ModelManifest['router'] {
  if (!isObject(value) || !onlyKeys(value, ['template', 'snippet'])) return undefined;
  const { template, snippet } = value;
  if (!isObject(template) || !onlyKeys(template, ['openings', 'closing', 'maxChars'])) return undefined;
  const { closing } = template;
  if (!isObject(closing) || !onlyKeys(closing, ['leads', 'phrases'])) return undefined;
  if (!isObject(snippet) || !onlyKeys(snippet, ['maxTokens']) || !isPositiveInt(snippet.maxTokens)) return undefined;
  const openings = phrases(template.openings);
  const leads = phrases(closing.leads);
  const closingPhrases = phrases(closing.phrases);
  if (!openings || !leads || !closingPhrases || !isPositiveInt(template.maxChars)) return undefined;
  return {
    template: { openings, closing: { leads, phrases: closingPhrases }, maxChars: template.maxChars },
    snippet: { maxTokens: snippet.maxTokens },
  };
}

function confidence(value: unknown): ModelManifest['confidence'] {
  if (!isObject(value) || !onlyKeys(value, ['outOfScopeBelow', 'highFrom']) || !isProbability(value.highFrom))
    return undefined;
  const below = probabilities(value.outOfScopeBelow, TEXT_KINDS);
  return below
    ? { outOfScopeBelow: below as Record<(typeof TEXT_KINDS)[number], number>, highFrom: value.highFrom }
    : undefined;
}

/** z.looseObject({ recipe: z.string(), lowercase: z.optional(z.boolean()), normalization: z.optional(z.string()) }). */
function text(value: unknown): ModelManifest['text'] | undefined {
  if (!isObject(value) || typeof value.recipe !== 'string') return undefined;
  const { lowercase, normalization } = value;
  if (
    ('lowercase' in value && typeof lowercase !== 'boolean') ||
    ('normalization' in value && typeof normalization !== 'string')
  )
    return undefined;
  return {
    recipe: value.recipe,
    ...('lowercase' in value ? { lowercase: lowercase as boolean } : {}),
    ...('normalization' in value ? { normalization: normalization as string } : {}),
    ...rest(value, ['recipe', 'lowercase', 'normalization']),
  };
}

/** z.looseObject({ snippetMaxTokens: z.optional(positiveInt) }). */
function kindsOf(value: unknown): JsonObject | undefined {
  if (!isObject(value) || ('snippetMaxTokens' in value && !isPositiveInt(value.snippetMaxTokens))) return undefined;
  return {
    ...('snippetMaxTokens' in value ? { snippetMaxTokens: value.snippetMaxTokens } : {}),
    ...rest(value, ['snippetMaxTokens']),
  };
}

/** z.record(z.string(), z.unknown()): a new object with the same entries. */
const record = (value: unknown): JsonObject | undefined => (isObject(value) ? { ...value } : undefined);

/** The manifest `manifestSchema.parse(json)` returns, when `json` is a well-formed manifest; else undefined. */
export function acceptManifest(json: unknown): ModelManifest | undefined {
  if (!isObject(json) || hasUndefinedOrProto(json)) return undefined;
  const { name, version, backend, labels } = json;
  if (!isNonEmptyString(name) || !isNonEmptyString(version)) return undefined;
  if (backend !== 'linear' && backend !== 'bert-onnx') return undefined;
  if (!Array.isArray(labels) || labels.length !== LABELS.length || labels.some((l, i) => l !== LABELS[i]))
    return undefined;
  const thresholds = probabilities(json.thresholds, LABELS);
  const textSettings = text(json.text);
  if (!thresholds || !textSettings) return undefined;
  const out: JsonObject = { name, version, backend, labels: [...labels], thresholds, text: textSettings };
  const optional =
    optionalField(out, json, 'router', router) &&
    optionalField(out, json, 'confidence', confidence) &&
    optionalField(out, json, 'kinds', kindsOf);
  const backendConfig = 'backendConfig' in json ? record(json.backendConfig) : {};
  if (!optional || !backendConfig) return undefined;
  out.backendConfig = backendConfig;
  if (!optionalField(out, json, 'metrics', record) || !optionalField(out, json, 'provenance', record)) return undefined;
  return { ...out, ...rest(json, MANIFEST_KEYS) } as ModelManifest;
}
