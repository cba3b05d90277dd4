import * as z from 'zod/mini';
import { ModelLoadError } from './errors.ts';
import { LABELS } from './labels.ts';
import './zodEnglish.ts';

/**
 * `model.json`: the fields every model has, whatever the backend; backend-specific fields live under `backendConfig`
 * and are validated by the backend itself. A manifest that `acceptManifest` (manifest.ts) takes as it is never
 * reaches this module; any other is parsed here, and its errors worded by zod (English messages, as the API's).
 */

const probability = z.number().check(z.minimum(0), z.maximum(1));
const thresholdsSchema = z.strictObject({
  cardiovascular: probability,
  hepatorenal: probability,
  neurological: probability,
  oncological: probability,
});

const phrases = z.array(z.string().check(z.minLength(1))).check(z.minLength(1));
const positiveInt = z.number().check(z.int(), z.positive());

/** The router's settings (layers/model/router.ts): a model folder carries the routing it was trained with. */
export const routerSettingsSchema = z.strictObject({
  template: z.strictObject({
    openings: phrases,
    closing: z.strictObject({ leads: phrases, phrases }),
    maxChars: positiveInt,
  }),
  snippet: z.strictObject({ maxTokens: positiveInt }),
});

export const manifestSchema = z.looseObject({
  name: z.string().check(z.minLength(1)),
  version: z.string().check(z.minLength(1)),
  backend: z.enum(['linear', 'bert-onnx']),
  labels: z.array(z.enum(LABELS)).check(
    z.refine((labels) => labels.length === LABELS.length && labels.every((l, i) => l === LABELS[i]), {
      message: `labels must be exactly ${LABELS.join(', ')} in this order`,
    }),
  ),
  thresholds: thresholdsSchema,
  text: z.looseObject({
    recipe: z.string(),
    lowercase: z.optional(z.boolean()),
    normalization: z.optional(z.string()),
  }),
  /** How texts are routed to kinds; absent in folders written before routing became data (the defaults then). */
  router: z.optional(routerSettingsSchema),
  /** The confidence rule's settings (layers/core/confidence.ts); absent: the defaults. */
  confidence: z.optional(
    z.strictObject({
      outOfScopeBelow: z.strictObject({ real: probability, template: probability, snippet: probability }),
      highFrom: probability,
    }),
  ),
  /** Folders written before routing became data named the kinds and the snippet cut-off here. */
  kinds: z.optional(z.looseObject({ snippetMaxTokens: z.optional(positiveInt) })),
  backendConfig: z._default(z.record(z.string(), z.unknown()), {}),
  metrics: z.optional(z.record(z.string(), z.unknown())),
  provenance: z.optional(z.record(z.string(), z.unknown())),
});

export type ModelManifest = z.infer<typeof manifestSchema>;

/** Parses a manifest object; throws `ModelLoadError` naming every invalid field with its path. */
export function parseManifest(json: unknown, path: string): ModelManifest {
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success)
    throw new ModelLoadError(`${path} is not a valid model manifest:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
