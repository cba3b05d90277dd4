import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod/mini';
import type { ApiLimits } from '../config.ts';
import { predictRequestSchema } from './predictRequest.ts';
import { MAX_RESPONSE_BYTES } from './responseBudget.ts';
import { errorSchema, healthSchema, predictResponseSchema, welcomeSchema } from './schemas.ts';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(errorSchema) });

type JsonSchema = { [key: string]: unknown };

/** `#/$defs/X` → `#/components/schemas/X`, everywhere in a JSON Schema. */
function componentRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(componentRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string'
        ? inner.replace(/^#\/\$defs\//, '#/components/schemas/')
        : componentRefs(inner),
    ]),
  );
}

/**
 * The request schema (zod/mini, the one the predict function validates with) as OpenAPI components: zod's own
 * JSON Schema conversion (zod-to-openapi reads only full-zod schemas), every schema with an `id` a component.
 */
function requestComponents(limits: ApiLimits): Record<string, JsonSchema> {
  const { $defs } = z.toJSONSchema(predictRequestSchema(limits), { target: 'draft-2020-12', io: 'input' }) as {
    $defs?: Record<string, JsonSchema>;
  };
  if (!$defs?.PredictRequest) throw new Error('the request schema lost its id "PredictRequest"');
  return componentRefs($defs) as Record<string, JsonSchema>;
}

/** The OpenAPI 3.1 document of the HTTP API, built from the schemas that validate it. */
export function openApiDocument(limits: ApiLimits, version: string) {
  const registry = new OpenAPIRegistry();
  for (const [name, schema] of Object.entries(requestComponents(limits)))
    registry.registerComponent('schemas', name, schema);
  registry.registerPath({
    method: 'post',
    path: '/predict',
    summary: 'Classify abstracts into cardiovascular, hepatorenal, neurological and oncological',
    request: { body: { required: true, content: json({ $ref: '#/components/schemas/PredictRequest' }) } },
    responses: {
      200: {
        description: `One prediction per input, in order; at most ${MAX_RESPONSE_BYTES} bytes whatever the input.`,
        content: json(predictResponseSchema),
      },
      400: errorResponse(
        'The body is not valid JSON, not UTF-8 (`invalid_utf8`, naming the byte), or does not match the schema; details give the path of each problem.',
      ),
      413: errorResponse(
        `The body is larger than ${limits.maxBodyBytes} bytes (\`payload_too_large\`), or the answer could weigh more than ${MAX_RESPONSE_BYTES} bytes as Lambda counts its 6 MB response limit (\`response_too_large\`, decided before any model work): send fewer texts or a lower explain_top.`,
      ),
      415: errorResponse('The body is not application/json, or declares a charset other than UTF-8.'),
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
