import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from '../errors.ts';

/** A path inside the model folder: relative, without `..`, so a manifest cannot point the loader elsewhere. */
const innerPath = z
  .string()
  .min(1)
  .refine((p) => !isAbsolute(p) && !normalize(p).startsWith('..'), {
    message: 'must be a relative path inside the model folder',
  });

/**
 * `backendConfig` of a `bert-onnx` model.json, written by the exporter and validated once by the backend.
 * Strict, so a misspelt key fails loudly instead of being ignored.
 */
export const bertBackendConfigSchema = z
  .object({
    /** What feeds the classifier: the [CLS] hidden state (the real checkpoint) or BERT's pooler over it. */
    head: z.enum(['cls', 'pooler']),
    /** Tokens per text including [CLS] and [SEP]. */
    maxLength: z.number().int().min(3).max(512),
    /** The variant loaded unless `LoadOptions.precision` says otherwise. */
    precision: z.enum(['fp32', 'int8']),
    files: z.object({ fp32: innerPath, int8: innerPath.optional() }).strict(),
    /**
     * Which operator set each graph uses. An int8 `fused` graph quantizes activations per batch, so the backend runs it
     * one text at a time.
     */
    graph: z
      .object({ fp32: z.enum(['plain', 'fused']), int8: z.enum(['plain', 'fused']).optional() })
      .strict()
      .optional(),
    /** Texts per onnxruntime call. */
    batchSize: z.number().int().min(1).max(256).optional(),
  })
  .strict();

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
