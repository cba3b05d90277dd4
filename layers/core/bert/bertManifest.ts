import { isAbsolute, normalize } from 'node:path';
import * as z from 'zod/mini';
import { ModelLoadError } from '../errors.ts';

/** A path inside the model folder: relative, without `..`, so a manifest cannot point the loader elsewhere. */
const innerPath = z.string().check(
  z.minLength(1),
  z.refine((p) => !isAbsolute(p) && !normalize(p).startsWith('..'), {
    message: 'must be a relative path inside the model folder',
  }),
);

const graphKind = z.enum(['plain', 'fused']);

/**
 * `backendConfig` of a `bert-onnx` model.json, written by the exporter and validated once by the backend.
 * Strict, so a misspelt key fails loudly instead of being ignored. zod's mini build: the predict function loads it.
 */
export const bertBackendConfigSchema = z.strictObject({
  /** What feeds the classifier: the [CLS] hidden state (the real checkpoint) or BERT's pooler over it. */
  head: z.enum(['cls', 'pooler']),
  /** Tokens per text including [CLS] and [SEP]. */
  maxLength: z.number().check(z.int(), z.minimum(3), z.maximum(512)),
  /** The variant loaded unless `LoadOptions.precision` says otherwise. */
  precision: z.enum(['fp32', 'int8']),
  files: z.strictObject({ fp32: innerPath, int8: z.optional(innerPath) }),
  /**
   * Which operator set each graph uses. An int8 `fused` graph quantizes activations per batch, so the backend runs it
   * one text at a time.
   */
  graph: z.optional(z.strictObject({ fp32: graphKind, int8: z.optional(graphKind) })),
  /** Texts per onnxruntime call. */
  batchSize: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(256))),
});

export type BertBackendConfig = z.infer<typeof bertBackendConfigSchema>;

export function parseBertBackendConfig(raw: unknown, where: string): BertBackendConfig {
  const parsed = bertBackendConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ModelLoadError(
      `${where} has an invalid backendConfig for the bert-onnx backend:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}
