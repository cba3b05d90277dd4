import { LABELS } from '#core/labels.ts';
import {
  arrayOf,
  hasUndefinedOrProto,
  isInt,
  isNonEmptyString,
  isNumber,
  isObject,
  isPositiveInt,
  isProbability,
  type JsonObject,
  onlyKeys,
  optionalField,
  rest,
} from '#core/plainJson.ts';
import type { ExpertConfig, LexiconEntry, LinearConfig } from './linearConfigSchema.ts';
import { TEXT_KINDS, type TextKind } from './router.ts';
import { WEIGHTS_LAYOUT } from './weightsFile.ts';

/**
 * The fast path of `linearConfigSchema` (linearConfigSchema.ts): the configuration it makes of a well-formed
 * `backendConfig` with experts, built here without zod, or undefined, and the schema decides (see #core/plainJson.ts).
 */

const SHA256 = /^[0-9a-f]{64}$/;
const isSha256 = (value: unknown): value is string => typeof value === 'string' && SHA256.test(value);
const isKind = (value: unknown): value is TextKind => TEXT_KINDS.includes(value as TextKind);
const isString = (value: unknown): value is string => typeof value === 'string';
const labelVector = (value: unknown) => arrayOf(value, isNumber, LABELS.length);

/** z.record(z.enum(LABELS), value): every label, no other key, in LABELS order. */
function perLabel<T>(value: unknown, convert: (field: unknown) => T | undefined): Record<string, T> | undefined {
  if (!isObject(value) || !onlyKeys(value, LABELS)) return undefined;
  const out: Record<string, T> = {};
  for (const label of LABELS) {
    const field = convert(value[label]);
    if (field === undefined) return undefined;
    out[label] = field;
  }
  return out;
}

function lexicon(value: unknown): LexiconEntry | undefined {
  if (!isObject(value) || !isNonEmptyString(value.file) || !isSha256(value.sha256)) return undefined;
  const { index, source } = value;
  if (
    'index' in value &&
    (!isObject(index) ||
      !onlyKeys(index, ['file', 'sha256']) ||
      !isNonEmptyString(index.file) ||
      !isSha256(index.sha256))
  )
    return undefined;
  if (!isObject(source) || !isString(source.name) || !isString(source.version) || !isString(source.package))
    return undefined;
  const seeds = perLabel(value.seeds, (field) => arrayOf(field, isString));
  const terms = perLabel(value.terms, (field) => (isNumber(field) ? field : undefined));
  if (!seeds || !terms) return undefined;
  const sourceKeys = ['name', 'version', 'package'];
  return {
    file: value.file,
    sha256: value.sha256,
    ...(isObject(index) ? { index: { file: index.file as string, sha256: index.sha256 as string } } : {}),
    source: { name: source.name, version: source.version, package: source.package, ...rest(source, sourceKeys) },
    seeds,
    terms,
    ...rest(value, ['file', 'sha256', 'index', 'source', 'seeds', 'terms']),
  } as LexiconEntry;
}

function scope(value: unknown): LinearConfig['scope'] {
  if (!isObject(value) || !onlyKeys(value, ['honest', 'kinds', 'below'])) return undefined;
  const kinds = arrayOf(value.kinds, isKind);
  if (!isKind(value.honest) || !kinds || !isProbability(value.below)) return undefined;
  return { honest: value.honest, kinds, below: value.below };
}

const VECTORIZER_KEYS = [
  'hashBits',
  'wordNgrams',
  'charNgrams',
  'sublinearTf',
  'weighting',
  'rowScalePower',
  'lexicon',
];

function features(value: unknown): ExpertConfig['features'] | undefined {
  if (!isObject(value) || !onlyKeys(value, VECTORIZER_KEYS)) return undefined;
  const { hashBits, sublinearTf, weighting, rowScalePower, lexicon: usesLexicon } = value;
  const wordNgrams = arrayOf(value.wordNgrams, isPositiveInt, 2);
  const charNgrams = arrayOf(value.charNgrams, isPositiveInt, 2);
  if (!isInt(hashBits) || hashBits < 10 || hashBits > 24 || !wordNgrams || !charNgrams) return undefined;
  if (typeof sublinearTf !== 'boolean') return undefined;
  if (weighting !== undefined && weighting !== 'tfidf' && weighting !== 'binary') return undefined;
  if (rowScalePower !== undefined && !isProbability(rowScalePower)) return undefined;
  if (usesLexicon !== undefined && typeof usesLexicon !== 'boolean') return undefined;
  return {
    hashBits,
    wordNgrams: wordNgrams as [number, number],
    charNgrams: charNgrams as [number, number],
    sublinearTf,
    ...(weighting !== undefined ? { weighting } : {}),
    ...(rowScalePower !== undefined ? { rowScalePower } : {}),
    ...(usesLexicon !== undefined ? { lexicon: usesLexicon } : {}),
  };
}

const EXPERT_KEYS = [
  'features',
  'weightsFile',
  'weightsLayout',
  'buckets',
  'bias',
  'weightsSha256',
  'calibration',
  'lexiconWeights',
  'kinds',
];

function expert(value: unknown): LinearConfig['experts'][number] | undefined {
  if (!isObject(value)) return undefined;
  const { weightsFile, weightsLayout, buckets, weightsSha256, calibration } = value;
  const settings = features(value.features);
  const bias = labelVector(value.bias);
  const kinds = arrayOf(value.kinds, isKind);
  if (!settings || !bias || !kinds || kinds.length < 1 || !isNonEmptyString(weightsFile)) return undefined;
  if (('weightsLayout' in value && weightsLayout !== WEIGHTS_LAYOUT) || !isInt(buckets) || buckets < 0)
    return undefined;
  if (!isSha256(weightsSha256)) return undefined;
  const out: JsonObject = { features: settings, weightsFile };
  if ('weightsLayout' in value) out.weightsLayout = weightsLayout;
  Object.assign(out, { buckets, bias, weightsSha256 });
  if ('calibration' in value) {
    if (!isObject(calibration) || !onlyKeys(calibration, ['a', 'b'])) return undefined;
    const a = labelVector(calibration.a);
    const b = labelVector(calibration.b);
    if (!a || !b) return undefined;
    out.calibration = { a, b };
  }
  if ('lexiconWeights' in value) {
    const weights = arrayOf(value.lexiconWeights, isNumber, LABELS.length * LABELS.length);
    if (!weights) return undefined;
    out.lexiconWeights = weights;
  }
  out.kinds = kinds;
  return { ...out, ...rest(value, EXPERT_KEYS) } as LinearConfig['experts'][number];
}

/** The configuration `linearConfigSchema.parse(raw)` returns, when `raw` is a well-formed one; else undefined. */
export function acceptLinearConfig(raw: JsonObject): LinearConfig | undefined {
  if (!Array.isArray(raw.experts) || raw.experts.length < 1 || hasUndefinedOrProto(raw)) return undefined;
  const experts: LinearConfig['experts'] = [];
  for (const value of raw.experts) {
    const accepted = expert(value);
    if (!accepted) return undefined;
    experts.push(accepted);
  }
  // Exactly one expert per kind (the schema's refinement).
  for (const kind of TEXT_KINDS) if (experts.filter((e) => e.kinds.includes(kind)).length !== 1) return undefined;
  const out: JsonObject = {};
  if (!optionalField(out, raw, 'lexicon', lexicon) || !optionalField(out, raw, 'scope', scope)) return undefined;
  out.experts = experts;
  return { ...out, ...rest(raw, ['lexicon', 'scope', 'experts']) } as LinearConfig;
}
