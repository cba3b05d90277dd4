import { z } from 'zod';
import { TEXT_KINDS } from '../../core/kinds.ts';
import { LABELS, SHORT_NAMES } from '../../core/labels.ts';
import type { ApiLimits } from '../config.ts';

/**
 * The API's schemas: the same objects validate requests and generate `/openapi.json`, so the document cannot
 * drift from what the handler accepts.
 */
export function predictRequestSchema(limits: ApiLimits) {
  const text = z
    .string()
    .max(limits.maxTextChars, `must be at most ${limits.maxTextChars} characters`)
    .refine((t) => t.trim().length > 0, 'must not be empty or only whitespace');
  const item = z
    .object({
      title: z.string().default(''),
      abstract: z.string().default(''),
    })
    .strict()
    .refine((i) => `${i.title} ${i.abstract}`.trim().length > 0, 'title and abstract must not both be empty')
    .refine((i) => `${i.title} ${i.abstract}`.trim().length <= limits.maxTextChars, `title + " " + abstract must be at most ${limits.maxTextChars} characters`)
    .meta({ id: 'Item', description: 'One abstract; the model reads `title + " " + abstract`.' });
  const list = <T extends z.ZodType>(element: T) =>
    z.array(element).min(1, 'must contain at least one element').max(limits.maxTexts, `must contain at most ${limits.maxTexts} elements`);
  return z
    .object({
      texts: list(text).optional().meta({ description: 'Texts to classify (the original project\'s form).' }),
      items: list(item).optional().meta({ description: 'Title/abstract pairs to classify.' }),
    })
    .strict()
    .superRefine((body, ctx) => {
      const forms = Number(body.texts !== undefined) + Number(body.items !== undefined);
      if (forms !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of "texts" or "items"', path: [] });
    })
    .meta({ id: 'PredictRequest', description: `Either {"texts": [...]} or {"items": [{"title", "abstract"}]}, 1..${limits.maxTexts} entries.` });
}

export type PredictRequest = z.infer<ReturnType<typeof predictRequestSchema>>;

const probability = z.number().min(0).max(1);
export const predictionSchema = z
  .object({
    input: z.string().meta({ description: 'The text the model read.' }),
    proba: z.object(Object.fromEntries(SHORT_NAMES.map((s) => [s, probability])) as Record<(typeof SHORT_NAMES)[number], typeof probability>),
    labels_short: z.array(z.enum(SHORT_NAMES)),
    labels: z.array(z.enum(LABELS)),
  })
  .meta({ id: 'Prediction' });

export const predictResponseSchema = z.array(predictionSchema).meta({ id: 'PredictResponse', description: 'One prediction per input, in order.' });

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string().optional(), message: z.string() })).optional(),
      requestId: z.string().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const modelIdentitySchema = z
  .object({
    name: z.string(),
    version: z.string(),
    backend: z.enum(['linear', 'bert-onnx']),
    labels: z.array(z.enum(LABELS)),
    thresholds: z.record(z.enum(LABELS), z.number()),
    kinds: z.array(z.enum(TEXT_KINDS)).optional().describe('Kinds of text the model has an expert for (layers/core/kinds.ts)'),
  })
  .meta({ id: 'ModelIdentity' });

export const healthSchema = z.object({ status: z.literal('ok'), model: modelIdentitySchema }).meta({ id: 'Health' });
export const welcomeSchema = z.object({ message: z.string(), endpoints: z.record(z.string(), z.string()) }).meta({ id: 'Welcome' });
