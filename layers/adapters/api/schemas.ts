import { z } from 'zod';
import { CONFIDENCE_LEVELS } from '#core/confidence.ts';
import { LABELS, SHORT_NAMES } from '#core/labels.ts';
import { TEXT_KINDS } from '#model/router.ts';
import { MAX_RESPONSE_BYTES, MAX_SPANS_PER_TERM } from './responseBudget.ts';

/**
 * The API's response and info schemas, for `/openapi.json` only (the health function builds the document). The
 * request schema, which the predict function validates with, lives in predictRequest.ts (zod/mini) and is
 * converted into the same document.
 */
const probability = z.number().min(0).max(1);
const byShortLabel = <T extends z.ZodType>(value: T) =>
  z.object(Object.fromEntries(SHORT_NAMES.map((s) => [s, value])) as Record<(typeof SHORT_NAMES)[number], T>);

export const termSchema = z
  .object({
    text: z.string().meta({ description: 'The word as the model read it (NFKC, lower-cased).' }),
    weight: z.number().meta({
      description:
        "What the word adds to the label's logit: every feature that fires inside it (the word, half of each word pair it is in, its character n-grams), value × weight.",
    }),
    spans: z.array(z.tuple([z.number().int(), z.number().int()])).meta({
      description: `The word's occurrences as [start, end) in \`input\`, in UTF-16 code units (JavaScript string indices), for highlighting: all of them, or the first ${MAX_SPANS_PER_TERM}.`,
    }),
    spans_omitted: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({
        description: `Present when the word occurs more than ${MAX_SPANS_PER_TERM} times: how many occurrences \`spans\` leaves out (the answer stays under ${MAX_RESPONSE_BYTES} bytes whatever the input).`,
      }),
  })
  .meta({ id: 'Term' });

export const labelEvidenceSchema = z
  .object({
    logit: z.number().meta({ description: 'The score whose sigmoid is the probability.' }),
    bias: z.number().meta({ description: 'The part of the logit that does not depend on the text.' }),
    terms: z.array(termSchema).meta({ description: 'The words that move the logit most, by |weight| descending.' }),
    rest: z.number().meta({ description: 'The sum of the weights of the words not listed.' }),
  })
  .meta({
    id: 'LabelEvidence',
    description: 'logit = bias + Σ terms.weight + rest, exactly (to floating-point rounding).',
  });

export const predictionSchema = z
  .object({
    input: z.string().meta({
      description:
        'The text as sent: `texts[i]`, or `title + " " + abstract` of `items[i]` (trimmed), before the model\'s NFKC normalisation; evidence spans are offsets into it.',
    }),
    proba: byShortLabel(probability),
    labels_short: z.array(z.enum(SHORT_NAMES)),
    labels: z.array(z.enum(LABELS)),
    kind: z.enum(TEXT_KINDS).meta({
      description:
        'The kind of text the router decided (`real` abstract, synthetic `template`, short `snippet`): which expert answered.',
    }),
    confidence: z.enum(CONFIDENCE_LEVELS).meta({
      description:
        "`high`: a label passes its threshold with a high probability; `low`: evidence exists but the answer is uncertain (only the fallback rule chose the label, or its probability is modest); `out_of_scope`: no medical evidence for any label (the label shown is only the fallback's).",
    }),
    explanation: byShortLabel(labelEvidenceSchema)
      .optional()
      .meta({ description: 'Only with "explain": true: the evidence for every label.' }),
  })
  .meta({ id: 'Prediction' });

export const predictResponseSchema = z
  .array(predictionSchema)
  .meta({ id: 'PredictResponse', description: 'One prediction per input, in order.' });

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
    kinds: z
      .array(z.enum(TEXT_KINDS))
      .optional()
      .describe('Kinds of text the model has an expert for (layers/core/kinds.ts)'),
    training_data: z
      .object({ sha256: z.string(), rows: z.number().int().optional() })
      .optional()
      .describe(
        "The training file's SHA-256 and rows (model.json provenance): an evaluated file with this SHA-256 gets in-sample scores. GET /training-fingerprints gives the training rows' fingerprints.",
      ),
  })
  .meta({ id: 'ModelIdentity' });

export const limitsSchema = z
  .object({
    max_texts: z.number().int().describe('Most texts (or items) in one POST /predict.'),
    max_text_chars: z.number().int().describe('Most characters in one text (title + " " + abstract).'),
    max_body_bytes: z.number().int().describe('Largest request body, in bytes.'),
  })
  .meta({ id: 'Limits', description: 'What POST /predict accepts in this deployment.' });

export const healthSchema = z
  .object({ status: z.literal('ok'), model: modelIdentitySchema, limits: limitsSchema })
  .meta({ id: 'Health' });
export const welcomeSchema = z
  .object({ message: z.string(), endpoints: z.record(z.string(), z.string()) })
  .meta({ id: 'Welcome' });
