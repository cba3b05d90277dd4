import * as z from 'zod/mini';
import { ModelLoadError } from '#core/errors.ts';
import { LABELS, type LabelName } from '#core/labels.ts';
import '#core/zodEnglish.ts';
import { TEXT_KINDS } from './router.ts';
import { WEIGHTS_LAYOUT } from './weightsFile.ts';

/**
 * The zod/mini schemas of the linear backend's `backendConfig` (model.json) and of `lexicon.json`. A configuration
 * that `acceptLinearConfig` (linearConfigFast.ts) takes as it is never loads this module; any other is parsed here,
 * and zod decides and words what is wrong.
 */

const perLabel = <T extends z.core.SomeType>(value: T) =>
  z.strictObject(Object.fromEntries(LABELS.map((l) => [l, value])) as Record<LabelName, T>);

/** `lexicon.json` of a model folder. */
export const lexiconFileSchema = z.strictObject({
  source: z.strictObject({ name: z.string(), version: z.string(), package: z.string() }),
  /** Per label, the seed synsets (`lemma.pos.NN` and WordNet's id) the terms were grown from. */
  seeds: perLabel(z.array(z.strictObject({ synset: z.string(), offset: z.string() }))),
  /** Per label, its terms (lower case; a term may belong to several labels). */
  terms: perLabel(z.array(z.string())),
});

export type LexiconFile = z.infer<typeof lexiconFileSchema>;

const labelVector = z.array(z.number()).check(z.length(LABELS.length));
const span = z.tuple([z.number().check(z.int(), z.positive()), z.number().check(z.int(), z.positive())]);

const vectorizerSchema = z.strictObject({
  hashBits: z.number().check(z.int(), z.minimum(10), z.maximum(24)),
  wordNgrams: span,
  charNgrams: span,
  sublinearTf: z.boolean(),
  weighting: z.optional(z.enum(['tfidf', 'binary'])),
  rowScalePower: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
  lexicon: z.optional(z.boolean()),
});

const lexiconEntrySchema = z.looseObject({
  file: z.string().check(z.minLength(1)),
  sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  /** The matcher's tables as stored (layers/model/lexicon.ts); folders written before it have only `file`. */
  index: z.optional(
    z.strictObject({ file: z.string().check(z.minLength(1)), sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)) }),
  ),
  source: z.looseObject({ name: z.string(), version: z.string(), package: z.string() }),
  seeds: z.record(z.enum(LABELS), z.array(z.string())),
  terms: z.record(z.enum(LABELS), z.number()),
});

const expertSchema = z.looseObject({
  features: vectorizerSchema,
  weightsFile: z.string().check(z.minLength(1)),
  /** Absent in folders trained before layout 2 (layers/model/weightsFile.ts). */
  weightsLayout: z.optional(z.literal(WEIGHTS_LAYOUT)),
  /** Number of features (hash buckets) the expert uses. */
  buckets: z.number().check(z.int(), z.minimum(0)),
  bias: labelVector,
  weightsSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  calibration: z.optional(z.strictObject({ a: labelVector, b: labelVector })),
  /** With `features.lexicon`: the lexicon block's weights, 4 features × 4 labels. */
  lexiconWeights: z.optional(z.array(z.number()).check(z.length(LABELS.length * LABELS.length))),
});

/** One expert per kind of text; the router (manifest `router`) picks it before any feature is extracted. */
export const linearConfigSchema = z.looseObject({
  lexicon: z.optional(lexiconEntrySchema),
  /** Which expert answers texts without medical evidence (layers/model/scope.ts). */
  scope: z.optional(
    z.strictObject({
      honest: z.enum(TEXT_KINDS),
      kinds: z.array(z.enum(TEXT_KINDS)),
      below: z.number().check(z.minimum(0), z.maximum(1)),
    }),
  ),
  experts: z.array(z.extend(expertSchema, { kinds: z.array(z.enum(TEXT_KINDS)).check(z.minLength(1)) })).check(
    z.minLength(1),
    z.superRefine((experts, ctx) => {
      for (const kind of TEXT_KINDS) {
        const n = experts.filter((e) => e.kinds.includes(kind)).length;
        if (n !== 1)
          ctx.addIssue({ code: 'custom', message: `needs exactly one expert for kind "${kind}", found ${n}` });
      }
    }),
  ),
});

export type LinearConfig = z.infer<typeof linearConfigSchema>;
export type ExpertConfig = z.infer<typeof expertSchema>;
export type LexiconEntry = z.infer<typeof lexiconEntrySchema>;

/**
 * The linear backend's `backendConfig` as zod parses it: the experts' layout, or (the first single-model layout) one
 * expert, which then answers every kind. Throws `ModelLoadError` naming every invalid field with its path.
 */
export function parseLinearConfig(raw: Record<string, unknown>, where: string): LinearConfig {
  const invalid = (issues: string) =>
    new ModelLoadError(`${where}: invalid backendConfig for the linear backend: ${issues}`);
  if ('experts' in raw) {
    const parsed = linearConfigSchema.safeParse(raw);
    if (!parsed.success) throw invalid(z.prettifyError(parsed.error));
    return parsed.data;
  }
  const parsed = expertSchema.safeParse(raw);
  if (!parsed.success) throw invalid(z.prettifyError(parsed.error));
  return { experts: [{ ...parsed.data, kinds: [...TEXT_KINDS] }] };
}

/** `lexicon.json` (folders written before the stored index), parsed; throws `ModelLoadError` naming what is wrong. */
export function parseLexiconFile(text: string, path: string): LexiconFile {
  const parsed = lexiconFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new ModelLoadError(`${path} is not a valid lexicon:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
