/// <reference lib="dom" />
/**
 * Starts Swagger UI on /openapi.json. A file of its own because the pages' Content-Security-Policy allows no
 * inline script. The document URL is relative so the docs work behind any base path.
 */
type SwaggerUiBundle = (options: Record<string, unknown>) => unknown;

const bundle = (window as unknown as { SwaggerUIBundle?: SwaggerUiBundle }).SwaggerUIBundle;
if (bundle) {
  bundle({
    url: new URL('openapi.json', document.baseURI).href,
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: true,
    // No call to validator.swagger.io: the docs work offline and the CSP allows no other origin.
    validatorUrl: null,
    defaultModelsExpandDepth: 1,
  });
}
