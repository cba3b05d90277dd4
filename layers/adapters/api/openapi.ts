import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { ApiLimits } from '../config.ts';
import { errorSchema, healthSchema, predictRequestSchema, predictResponseSchema, welcomeSchema } from './schemas.ts';

const json = <T>(schema: T) => ({ 'application/json': { schema } });

/**
 * Named examples of both request forms: Swagger UI's "Try it out" starts from the first and lists the others, and
 * each one answers 200 (tested in the browser). Without them it generated one body holding both forms and empty
 * strings, which the API rightly refuses.
 */
export const PREDICT_EXAMPLES = {
  texts: {
    summary: "texts: one-liners (the original project's form)",
    value: {
      texts: [
        'Patient presents with chest pain and elevated troponin levels.',
        'Abnormal tumor markers requiring further oncological workup.',
      ],
    },
  },
  items: {
    summary: 'items: a title and an abstract',
    value: {
      items: [
        {
          title: 'Acute kidney injury after coronary artery bypass grafting',
          abstract:
            'We followed 412 patients after cardiac surgery; postoperative troponin elevation and falling glomerular filtration predicted dialysis.',
        },
      ],
    },
  },
  explain: {
    summary: 'items with "explain": the words behind each label',
    value: {
      items: [
        {
          title: 'Glioblastoma resection',
          abstract: 'Outcomes of surgery and temozolomide for glioblastoma in adults.',
        },
      ],
      explain: true,
      explain_top: 5,
    },
  },
} as const;
const errorResponse = (description: string) => ({ description, content: json(errorSchema) });

/** The OpenAPI 3.1 document of the HTTP API, built from the schemas that validate it. */
export function openApiDocument(limits: ApiLimits, version: string) {
  const registry = new OpenAPIRegistry();
  registry.registerPath({
    method: 'post',
    path: '/predict',
    summary: 'Classify abstracts into cardiovascular, hepatorenal, neurological and oncological',
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: predictRequestSchema(limits), examples: PREDICT_EXAMPLES } },
      },
    },
    responses: {
      200: { description: 'One prediction per input, in order.', content: json(predictResponseSchema) },
      400: errorResponse(
        'The body is not valid JSON or does not match the schema; details give the path of each problem.',
      ),
      413: errorResponse(`The body is larger than ${limits.maxBodyBytes} bytes.`),
      415: errorResponse('The body is not application/json.'),
      500: errorResponse('Internal error; carries the request id, never a stack trace.'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/health',
    summary: 'Service status and the identity of the model it serves',
    responses: { 200: { description: 'Healthy.', content: json(healthSchema) } },
  });
  registry.registerPath({
    method: 'get',
    path: '/training-fingerprints',
    summary: "The training rows' fingerprints, for the in-sample check",
    description:
      'training-fingerprints.bin of the model folder: "TFP1", a uint32 count, then that many uint64 FNV-1a fingerprints of the normalised training texts, sorted, big-endian (layers/core/inSample.ts).',
    responses: {
      200: { description: 'The file.', content: { 'application/octet-stream': { schema: { type: 'string' } } } },
      404: errorResponse('The model folder has no such file (an older or an exported model).'),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/',
    summary: 'Welcome message and the list of endpoints',
    responses: { 200: { description: 'Welcome.', content: json(welcomeSchema) } },
  });
  registry.registerPath({
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    responses: {
      200: {
        description: 'The OpenAPI 3.1 document.',
        content: { 'application/json': { schema: { type: 'object' } } },
      },
    },
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Clinical abstract classifier',
      version,
      description:
        'Multi-label classification of biomedical abstracts. Unknown routes answer 404 and wrong methods 405, with the Error body.',
    },
  });
}
