import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { onceUntilFailure } from '#core/once.ts';
import { HttpError, type HttpResult, header } from '../http.ts';
import type { ApiAuth } from './routes.ts';

/**
 * Serves the web page (`GET /` for browsers), the API docs (`GET /docs`) and their assets (`GET /assets/<file>`)
 * from the files layers/web/build.ts produces: in memory under `npm start`, from the image's `web/` folder on
 * Lambda. Every HTML answer carries a strict Content-Security-Policy: scripts, styles and connections from our
 * own origin only, no inline script, no framing.
 */
export type WebFiles = ReadonlyMap<string, Uint8Array>;

export interface WebSiteOptions {
  /**
   * How /predict is protected: with `iam` the page says that it needs signed requests instead of failing on every
   * click; with `jwt` it shows a token field and sends the token as `Authorization: Bearer …`.
   */
  auth: ApiAuth;
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  json: 'application/json; charset=utf-8',
};

/** Where the page learns how /predict is authorised (none, iam or jwt); replaced with the deployment's mode. */
const AUTH_MARKER = '<meta name="predict-auth" content="none">';

interface Prepared {
  body: Buffer;
  gzipped?: Buffer;
  contentType: string;
  etag: string;
}

function prepare(name: string, body: Buffer): Prepared {
  const extension = name.slice(name.lastIndexOf('.') + 1);
  const contentType = CONTENT_TYPES[extension] ?? 'application/octet-stream';
  const textual =
    contentType.startsWith('text/') ||
    contentType.startsWith('image/svg') ||
    contentType.startsWith('application/json');
  return {
    body,
    contentType,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    // API Gateway's HTTP API does not compress; the docs bundle is 1.7 MB raw and 0.45 MB gzipped.
    ...(textual && body.length > 1024 ? { gzipped: gzipSync(body, { level: 9 }) } : {}),
  };
}

export class WebSite {
  readonly #files = new Map<string, Prepared>();

  constructor(files: WebFiles, options: WebSiteOptions) {
    for (const [name, body] of files) {
      let content = Buffer.from(body);
      if (name === 'index.html') {
        const html = content.toString('utf8');
        if (!html.includes(AUTH_MARKER)) throw new Error(`index.html lacks ${AUTH_MARKER}`);
        content = Buffer.from(html.replace(AUTH_MARKER, `<meta name="predict-auth" content="${options.auth}">`));
      }
      this.#files.set(name, prepare(name, content));
    }
    for (const required of ['index.html', 'docs.html'])
      if (!this.#files.has(required)) throw new Error(`the web files lack ${required}`);
  }

  /** The page at `/`. */
  page(event: APIGatewayProxyEventV2): HttpResult {
    return this.#answer('index.html', event, {
      ...SECURITY_HEADERS,
      'cache-control': 'no-cache',
      vary: 'Accept, Accept-Encoding',
    });
  }

  /** Interactive documentation of /openapi.json at `/docs`. */
  docs(event: APIGatewayProxyEventV2): HttpResult {
    return this.#answer('docs.html', event, {
      ...SECURITY_HEADERS,
      'cache-control': 'no-cache',
      vary: 'Accept-Encoding',
    });
  }

  /** `/assets/<name>`; 404 for anything that is not one of the built files. */
  asset(path: string, event: APIGatewayProxyEventV2): HttpResult {
    const name = path.replace(/^\/+/, '');
    if (!name.startsWith('assets/') || !this.#files.has(name))
      throw new HttpError(404, 'not_found', `no asset ${path}`);
    return this.#answer(name, event, {
      'x-content-type-options': 'nosniff',
      'cache-control': 'public, max-age=300',
      vary: 'Accept-Encoding',
    });
  }

  #answer(name: string, event: APIGatewayProxyEventV2, headers: Record<string, string>): HttpResult {
    const file = this.#files.get(name)!;
    const common = { ...headers, 'content-type': file.contentType, etag: file.etag };
    if (
      header(event, 'if-none-match')
        ?.split(',')
        .some((tag) => tag.trim() === file.etag)
    )
      return { statusCode: 304, headers: common, body: '' };
    const gzip = file.gzipped !== undefined && acceptsGzip(header(event, 'accept-encoding'));
    const body = gzip ? file.gzipped! : file.body;
    const textual = file.contentType.startsWith('text/') || file.contentType.startsWith('application/json');
    return {
      statusCode: 200,
      headers: { ...common, ...(gzip ? { 'content-encoding': 'gzip' } : {}) },
      ...(gzip || !textual
        ? { body: body.toString('base64'), isBase64Encoded: true }
        : { body: body.toString('utf8'), isBase64Encoded: false }),
    };
  }
}

function acceptsGzip(acceptEncoding: string | undefined): boolean {
  return (acceptEncoding ?? '').split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return coding === 'gzip' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

/** Reads a built web folder (the image's `web/`) into memory, keyed by path relative to it with `/` separators. */
export async function loadWebFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(dir, full).split(sep).join('/'), await readFile(full));
  }
  return files;
}

/** The site built once per container from `loadFiles`; a failed load is not cached, so the next request retries. */
export function memoizedWebSite(loadFiles: () => Promise<WebFiles>, options: WebSiteOptions): () => Promise<WebSite> {
  return onceUntilFailure(async () => new WebSite(await loadFiles(), options));
}
