import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from './errors.ts';
import { TEXT_KINDS } from './kinds.ts';
import { LABELS } from './labels.ts';

const thresholdsSchema = z
  .object({
    cardiovascular: z.number().min(0).max(1),
    hepatorenal: z.number().min(0).max(1),
    neurological: z.number().min(0).max(1),
    oncological: z.number().min(0).max(1),
  })
  .strict();

/**
 * The fields every `model.json` has, whatever the backend. Backend-specific fields live under `backendConfig`
 * and are validated by the backend itself.
 */
export const manifestSchema = z
  .object({
    name: z.string().min(1),
    version: z.string().min(1),
    backend: z.enum(['linear', 'bert-onnx']),
    labels: z
      .array(z.enum(LABELS))
      .refine((labels) => labels.length === LABELS.length && labels.every((l, i) => l === LABELS[i]), {
        message: `labels must be exactly ${LABELS.join(', ')} in this order`,
      }),
    thresholds: thresholdsSchema,
    text: z
      .object({ recipe: z.string(), lowercase: z.boolean().optional(), normalization: z.string().optional() })
      .passthrough(),
    /** Models with one expert per kind of text (layers/core/kinds.ts) name the kinds and the router's cut-off. */
    kinds: z
      .object({
        kinds: z.array(z.enum(TEXT_KINDS)).min(1),
        snippetMaxTokens: z.number().int().positive(),
        rule: z.string(),
      })
      .passthrough()
      .optional(),
    backendConfig: z.record(z.string(), z.unknown()).default({}),
    metrics: z.record(z.string(), z.unknown()).optional(),
    provenance: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();

export type ModelManifest = z.infer<typeof manifestSchema>;

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, 'model.json');
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ModelLoadError(`cannot read ${path}: is ${dir} a model folder?`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ModelLoadError(`${path} is not valid JSON`, { cause });
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelLoadError(`${path} is not a valid model manifest:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
