/**
 * Builds the web page and the API docs into a set of files, keyed by their path under the web folder:
 *
 *   index.html, docs.html                    the two pages (GET / for browsers, GET /docs)
 *   assets/page.js, assets/docs.js           esbuild bundles of layers/web (the page bundles the core's CSV
 *                                            reader, labels and metrics modules: no second implementation)
 *   assets/page.css, assets/docs.css, assets/favicon.svg
 *   assets/palette.css                       the label colours, written from layers/core/palette.ts
 *   assets/swagger-ui-bundle.js, assets/swagger-ui.css   copied from the pinned swagger-ui-dist package
 *
 * `npm start` builds them in memory at start; scripts/prepare-image.ts writes them into the image (app/web/),
 * where the health function serves them. Nothing is fetched from a CDN.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { paletteCss } from '#core/palette.ts';

export type WebFiles = Map<string, Uint8Array>;

const WEB_DIR = dirname(fileURLToPath(import.meta.url));
const SWAGGER_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css'] as const;

/**
 * The Node built-ins the core's CSV reader imports, mapped to their browser equivalents (layers/web/shims/), so
 * the page runs the reader the CLI runs rather than a second one.
 */
const NODE_SHIMS: Readonly<Record<string, string>> = {
  'node:buffer': join(WEB_DIR, 'shims', 'nodeBuffer.ts'),
  'node:stream/web': join(WEB_DIR, 'shims', 'streamWeb.ts'),
};
const nodeShims: Plugin = {
  name: 'node-shims',
  setup(plugin) {
    plugin.onResolve({ filter: /^node:/ }, (args) => {
      const path = NODE_SHIMS[args.path];
      if (path) return { path };
      return { errors: [{ text: `${args.path} has no browser equivalent in the page's bundle (${args.importer})` }] };
    });
  },
};

export async function buildWebAssets(): Promise<WebFiles> {
  const files: WebFiles = new Map();
  const bundled = await build({
    entryPoints: { page: join(WEB_DIR, 'page', 'main.ts'), docs: join(WEB_DIR, 'docs', 'docs.ts') },
    bundle: true,
    write: false,
    outdir: '/assets',
    platform: 'browser',
    format: 'esm',
    target: ['chrome109', 'firefox115', 'safari16'],
    // csv-stringify's own browser build (it brings its Buffer polyfill); the core imports the Node one.
    alias: { 'csv-stringify/sync': 'csv-stringify/browser/esm/sync' },
    plugins: [nodeShims],
    inject: [join(WEB_DIR, 'shims', 'bufferGlobal.ts')],
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
  for (const output of bundled.outputFiles) files.set(`assets/${output.path.split('/').pop()!}`, output.contents);
  // docs.js runs as a classic script after swagger-ui-bundle.js (which defines a global); it has no imports.
  for (const [name, from] of [
    ['index.html', 'page/index.html'],
    ['docs.html', 'docs/docs.html'],
    ['assets/page.css', 'page/page.css'],
    ['assets/docs.css', 'docs/docs.css'],
    ['assets/favicon.svg', 'page/favicon.svg'],
  ] as const) {
    files.set(name, await readFile(join(WEB_DIR, from)));
  }
  // The label colours, from the one palette the reports use too (layers/core/palette.ts).
  files.set('assets/palette.css', new TextEncoder().encode(`${paletteCss((short) => `.label-${short}`)}\n`));
  const swaggerDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  for (const name of SWAGGER_FILES) files.set(`assets/${name}`, await readFile(join(swaggerDir, name)));
  return files;
}

export async function writeWebAssets(outDir: string, files: WebFiles): Promise<void> {
  for (const [name, body] of files) {
    await mkdir(dirname(join(outDir, name)), { recursive: true });
    await writeFile(join(outDir, name), body);
  }
}
