import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod/mini';
import type { ApiLimits } from '../config.ts';
import { predictRequestSchema } from './predictRequest.ts';
import { MAX_RESPONSE_BYTES } from './responseBudget.ts';
import { type ApiAuth, gatewayRouteFor } from './routes.ts';
import { errorSchema, healthSchema, predictResponseSchema, welcomeSchema } from './schemas.ts';

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

/** The name of the bearer-token scheme under `auth=jwt` (Swagger UI's "Authorize" button). */
export const BEARER_SCHEME = 'bearerAuth';

/** What API Gateway itself answers when the authorizer refuses a request (before any function runs). */
const gatewayRefusal = (description: string): ResponseConfig => ({
  description,
  content: json({
    type: 'object' as const,
    properties: { message: { type: 'string' as const } },
    required: ['message'],
  }),
});

/** The security requirement and refusal of a protected route under the deployment's auth mode; nothing when open. */
function protection(
  auth: ApiAuth,
  method: 'GET' | 'POST',
  path: string,
): { security: Record<string, string[]>[] | undefined; refusals: Record<number, ResponseConfig> } {
  if (!gatewayRouteFor(method, path)?.protected) return { security: undefined, refusals: {} };
  if (auth === 'jwt')
    return {
      security: [{ [BEARER_SCHEME]: [] }],
      refusals: {
        401: gatewayRefusal(
          'No token, or a token the issuer did not sign, expired or for another audience: `{"message":"Unauthorized"}`.',
        ),
      },
    };
  if (auth === 'iam')
    return {
      security: undefined,
      refusals: {
        403: gatewayRefusal(
          'The request is not signed with AWS SigV4 by a caller allowed `execute-api:Invoke`: `{"message":"Forbidden"}`.',
        ),
      },
    };
  return { security: undefined, refusals: {} };
}

/**
 * The OpenAPI 3.1 document of the HTTP API, built from the schemas that validate it. Under `auth=jwt` it declares
 * the bearer scheme on the protected routes, so Swagger UI offers "Authorize" and sends the token.
 */
export function openApiDocument(limits: ApiLimits, version: string, auth: ApiAuth = 'none') {
  const registry = new OpenAPIRegistry();
  for (const [name, schema] of Object.entries(requestComponents(limits)))
    registry.registerComponent('schemas', name, schema);
  if (auth === 'jwt') {
    registry.registerComponent('securitySchemes', BEARER_SCHEME, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: "An access or ID token of the deployment's OIDC issuer, checked by API Gateway's JWT authorizer.",
    });
  }
  const predict = protection(auth, 'POST', '/predict');
  registry.registerPath({
    method: 'post',
    path: '/predict',
    summary: 'Classify abstracts into cardiovascular, hepatorenal, neurological and oncological',
    ...(predict.security ? { security: predict.security } : {}),
    request: {
      body: {
        required: true,
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/PredictRequest' }, examples: PREDICT_EXAMPLES },
        },
      },
    },
    responses: {
      ...predict.refusals,
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
