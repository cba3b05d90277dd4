/**
 * Every route of the HTTP API, once: its path (as API Gateway writes it), its methods, the function that serves it
 * and whether it sits behind the deployment's authorizer. The CDK construct (infra/constructs/api.ts) creates exactly
 * these routes, the info handler answers 404/405 and the JSON welcome from them, and the local server
 * (`npm start`) picks the handler and checks the token from them. No AWS CDK import here: the functions bundle it.
 */

/** How the API is protected, a deploy-time choice (CDK context `auth`; `API_AUTH` in the functions and `npm start`). */
export const API_AUTH_MODES = ['none', 'iam', 'jwt'] as const;
export type ApiAuth = (typeof API_AUTH_MODES)[number];

/** The functions that serve routes; the name is also the handler's bundle (`<name>.handler`). */
export type RouteFunction = 'health' | 'predict';
export type RouteMethod = 'GET' | 'POST';

export interface ApiRoute {
  /** API Gateway's path syntax: `{file+}` is a greedy path variable (one or more segments). */
  readonly path: string;
  readonly methods: readonly RouteMethod[];
  readonly function: RouteFunction;
  /**
   * Reads or returns user data: behind the authorizer when `auth` is `iam` or `jwt`. Open routes carry no user data
   * (the page, the docs and their assets, health, the OpenAPI document), so a browser can load the page and then
   * send a token with its requests.
   */
  readonly protected: boolean;
  /** The line the JSON welcome (`GET /`) gives the route; routes without one are not listed there. */
  readonly welcome?: string;
}

/** The page's and the docs' static files (`/assets/<file>`), served by the health function. */
export const ASSETS_ROUTE = '/assets/{file+}';

/** In the order the JSON welcome lists them (byte for byte the prototype's welcome). */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    path: '/predict',
    methods: ['POST'],
    function: 'predict',
    protected: true,
    welcome: '{"texts": ["..."]} or {"items": [{"title": "...", "abstract": "..."}]}',
  },
  { path: '/health', methods: ['GET'], function: 'health', protected: false, welcome: 'status and model' },
  { path: '/openapi.json', methods: ['GET'], function: 'health', protected: false, welcome: 'OpenAPI 3.1 document' },
  { path: '/', methods: ['GET'], function: 'health', protected: false },
  { path: '/docs', methods: ['GET'], function: 'health', protected: false, welcome: 'interactive API documentation' },
  /** The model's training-row fingerprints (the page's in-sample warning); no user data. */
  { path: '/training-fingerprints', methods: ['GET'], function: 'health', protected: false },
  { path: ASSETS_ROUTE, methods: ['GET'], function: 'health', protected: false },
];

/**
 * Unknown paths and wrong methods go to this function through API Gateway's `$default` route, which answers the
 * API's JSON 404/405 instead of API Gateway's bare `{"message":"Not Found"}`. It is open: it serves no data.
 */
export const CATCH_ALL_FUNCTION: RouteFunction = 'health';

const GREEDY = /\{[^/{}]+\+\}$/;

/** Whether `path` (a request's path) is one `route.path` describes. */
export function pathMatches(route: ApiRoute, path: string): boolean {
  const greedy = GREEDY.exec(route.path);
  if (!greedy) return route.path === path;
  const prefix = route.path.slice(0, greedy.index);
  return path.startsWith(prefix) && path.length > prefix.length;
}

/** The route a request path belongs to, whatever its method; undefined: no route (404). */
export function routeFor(path: string): ApiRoute | undefined {
  return API_ROUTES.find((route) => pathMatches(route, path));
}

/** `GET /health`-style keys, as API Gateway names routes (and the welcome lists them). */
export const routeKeysOf = (route: ApiRoute): string[] => route.methods.map((method) => `${method} ${route.path}`);

/** The welcome's `endpoints`: the routes that have a line, in order. */
export function welcomeEndpoints(): Record<string, string> {
  const endpoints: Record<string, string> = {};
  for (const route of API_ROUTES) {
    if (route.welcome === undefined) continue;
    for (const key of routeKeysOf(route)) endpoints[key] = route.welcome;
  }
  return endpoints;
}

/**
 * The route API Gateway gives a request: its path and its method must both match (`GET /predict` is no route and
 * goes to `$default`, i.e. undefined here). Decides which function runs and whether the authorizer runs first.
 */
export function gatewayRouteFor(method: string, path: string): ApiRoute | undefined {
  return API_ROUTES.find((route) => (route.methods as readonly string[]).includes(method) && pathMatches(route, path));
}
