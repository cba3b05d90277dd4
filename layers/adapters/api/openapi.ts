import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { ApiLimits } from '../config.ts';
import { errorSchema, healthSchema, predictRequestSchema, predictResponseSchema, welcomeSchema } from './schemas.ts';

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const errorResponse = (description: string) => ({ description, content: json(errorSchema) });

/** The OpenAPI 3.1 document of the HTTP API, built from the schemas that validate it. */
export function openApiDocument(limits: ApiLimits, version: string) {
  const registry = new OpenAPIRegistry();
  registry.registerPath({
    method: 'post',
    path: '/predict',
    summary: 'Classify abstracts into cardiovascular, hepatorenal, neurological and oncological',
    request: { body: { required: true, content: json(predictRequestSchema(limits)) } },
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
