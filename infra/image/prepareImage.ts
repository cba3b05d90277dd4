/**
 * Assembles the Docker build context of the one Lambda image (predict, evaluate, health, chunk, aggregate):
 *
 *   <outDir>/Dockerfile          copied from infra/image/Dockerfile
 *   <outDir>/app/<name>.mjs      one esbuild bundle per handler (+ shared chunks); Lambda CMD "<name>.handler"
 *   <outDir>/app/web/            the web page, the API docs and their assets (layers/web/build.ts), served by health
 *   <outDir>/model/              the model folder, copied to /opt/model by the Dockerfile
 *   <outDir>/tools/              export-model.mjs, the ONNX exporter the BERT_MODEL build argument runs
 *   <outDir>/package.json        the production dependencies the bundles keep external (none for a linear model)
 *   <outDir>/package-lock.json   those dependencies' slice of the root lockfile, so the image installs what CI tested
 *   <outDir>/prune.txt           installed packages the handlers never load, which the Dockerfile deletes after `npm ci`
 *   <outDir>/image.json          the image description: handlers, model, dependencies (not a model manifest)
 *
 * The CDK app and the image-layout test both call `prepareImageContext`, so what the test runs is what ships.
 * Usage (CLI: scripts/prepare-image.ts): npm run prepare-image -- [--out .build/image] [--model layers/models/default] [--bert-runtime]
 */
import { chmod, cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { type BuildOptions, build, type OutputFile } from 'esbuild';
import { buildWebAssets, writeWebAssets } from '#web/build.ts';
import { REPO_ROOT } from '../config.ts';

/** The Lambda entry points, by the name their bundle gets (and so their CMD, `<name>.handler`). */
export const HANDLERS = ['health', 'predict', 'evaluate', 'chunk', 'aggregate'] as const;
export type HandlerName = (typeof HANDLERS)[number];

/**
 * Packages the bundles import but must not contain: native binaries (onnxruntime-node, sharp) and the
 * transformers library that loads them. Only the bert-onnx backend imports them, and only dynamically.
 */
export const RUNTIME_EXTERNALS = ['onnxruntime-node', '@huggingface/transformers', 'sharp'] as const;
/** What the image installs when it must run a bert-onnx model (sharp comes along with transformers). */
const BERT_RUNTIME_PACKAGES = ['onnxruntime-node', '@huggingface/transformers'] as const;
/**
 * Dependencies of the bert runtime that the Node path never loads: transformers' Node build carries its own copy
 * of the web runtime's code and never imports `onnxruntime-web` (≈ 144 MB); `adm-zip` and `global-agent` serve
 * only onnxruntime-node's GPU download, which the image skips. They, and what only they need, are deleted.
 */
export const BERT_RUNTIME_UNUSED = ['onnxruntime-web', 'adm-zip', 'global-agent'] as const;

export interface PrepareImageOptions {
  /** Model folder to embed (must hold model.json). */
  modelDir: string;
  /** Install the bert-onnx runtime packages in the image. Default: when the model's backend is bert-onnx. */
  bertRuntime?: boolean;
  /** Entry points to bundle; default every `functions/<name>/handler.ts` of HANDLERS. */
  entries?: Readonly<Record<string, string>>;
  /** Repository root (package.json, lockfile, functions/, scripts/). */
  rootDir?: string;
}

/** What went into an image context (written as image.json beside the Dockerfile, kept out of the image). */
export interface ImageDescription {
  handlers: string[];
  model: { name: string; version: string; backend: string };
  dependencies: Record<string, string>;
  exportTool: boolean;
}

export class ImageContextError extends Error {
  override readonly name = 'ImageContextError';
}

/** The entry points of HANDLERS under `rootDir`, and those missing (the image then cannot be built). */
export async function findHandlers(rootDir = REPO_ROOT): Promise<{ found: Record<string, string>; missing: string[] }> {
  const found: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of HANDLERS) {
    const file = join(rootDir, 'functions', name, 'handler.ts');
    if (await exists(file)) found[name] = file;
    else missing.push(relative(rootDir, file));
  }
  return { found, missing };
}

export async function prepareImageContext(outDir: string, options: PrepareImageOptions): Promise<ImageDescription> {
  const rootDir = resolve(options.rootDir ?? REPO_ROOT);
  const modelDir = resolve(options.modelDir);
  const out = resolve(outDir);

  const model = await readModelSummary(modelDir);
  let entries = options.entries;
  if (entries === undefined) {
    const { found, missing } = await findHandlers(rootDir);
    if (missing.length > 0) throw new ImageContextError(`Cannot build the image: missing ${missing.join(', ')}`);
    entries = found;
  }

  await clearOutDir(out);
  await mkdir(join(out, 'tools'), { recursive: true });

  // One build per function: each bundle holds only what its handler reaches (chunks shared across functions made
  // predict load the S3 SDK's and full zod's modules at every cold start). Splitting inside a build keeps each
  // dynamically imported module (the bert backend) in its own chunk, so its static imports of onnxruntime-node stay
  // unevaluated unless a bert model is loaded: a linear image needs no node_modules.
  for (const [name, entry] of Object.entries(entries)) {
    const options: BuildOptions = {
      ...bundleOptions(rootDir),
      entryPoints: { [name]: entry },
      outdir: join(out, 'app'),
      splitting: true,
      chunkNames: `chunks/${name}/[name]-[hash]`,
    };
    // The require() banner only where a bundled CommonJS module calls require(): loading node:module costs the
    // predict function ≈ 1 ms of every cold start, and nothing in it needs require.
    let files = await buildInMemory(options);
    if (files.some((file) => file.text.includes(ESBUILD_REQUIRE_SHIM)))
      files = await buildInMemory({ ...options, banner: { js: REQUIRE_BANNER } });
    for (const file of files) {
      await mkdir(dirname(file.path), { recursive: true });
      await writeFile(file.path, file.contents);
    }
  }

  // Beside the bundles, where the health function looks for them (functions/health/handler.ts).
  await writeWebAssets(join(out, 'app', 'web'), await buildWebAssets());

  const exportScript = join(rootDir, 'scripts', 'export-model.ts');
  const exportTool = await exists(exportScript);
  if (exportTool) {
    await build({
      ...bundleOptions(rootDir),
      banner: { js: REQUIRE_BANNER },
      entryPoints: { 'export-model': exportScript },
      outdir: join(out, 'tools'),
    });
  }
  // Docker's COPY fails on a missing folder; an empty tools/ says "no exporter" to the Dockerfile instead.
  await writeFile(join(out, 'tools', '.keep'), '');

  await cp(modelDir, join(out, 'model'), { recursive: true });
  await cp(join(rootDir, 'infra', 'image', 'Dockerfile'), join(out, 'Dockerfile'));
  await writeFile(join(out, '.dockerignore'), 'image.json\n');

  const bertRuntime = options.bertRuntime ?? model.backend === 'bert-onnx';
  const { dependencies, prune } = bertRuntime
    ? await writeRuntimePackage(rootDir, out)
    : { dependencies: {}, prune: [] };
  if (!bertRuntime) await writeJson(join(out, 'package.json'), imagePackageJson({}));
  await writeFile(join(out, 'prune.txt'), prune.map((path) => `${path}\n`).join(''));

  const description: ImageDescription = { handlers: Object.keys(entries).sort(), model, dependencies, exportTool };
  await writeJson(join(out, 'image.json'), description);
  // The build machine's umask must not decide who may read the image's files (Lambda runs as a non-root user).
  await makeWorldReadable(out);
  return description;
}

/** CommonJS dependencies bundled into ESM still call require() for Node built-ins: this gives them one. */
const REQUIRE_BANNER =
  "import { createRequire as __imageCreateRequire } from 'node:module'; const require = __imageCreateRequire(import.meta.url);";
/** What esbuild's require() shim throws without one: a bundle holding it calls require(). */
const ESBUILD_REQUIRE_SHIM = 'Dynamic require of';

/** The files a build makes, in memory (`write: false`). */
async function buildInMemory(options: BuildOptions): Promise<OutputFile[]> {
  const { outputFiles } = await build({ ...options, write: false });
  if (!outputFiles) throw new ImageContextError('esbuild returned no files for an in-memory build');
  return outputFiles;
}

/** esbuild settings shared by the handlers and the exporter. */
function bundleOptions(rootDir: string): BuildOptions {
  return {
    absWorkingDir: rootDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    outExtension: { '.js': '.mjs' },
    external: [...RUNTIME_EXTERNALS],
    // Minified: less to read and compile at every cold start (npm run bench -- --only coldstart measures it).
    minify: true,
    // The maps ship beside the bundles (without the sources) but Node reads them only with --enable-source-maps,
    // which costs start-up time: off by default, on with the CDK context sourceMaps=true (NODE_OPTIONS).
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'none',
    logLevel: 'warning',
  };
}

async function readModelSummary(modelDir: string): Promise<ImageDescription['model']> {
  const file = join(modelDir, 'model.json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ImageContextError(`Model folder ${modelDir} has no readable model.json`, { cause: error });
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const field = (key: string): string => (typeof record[key] === 'string' ? (record[key] as string) : 'unknown');
  if (field('backend') === 'unknown') throw new ImageContextError(`${file} names no backend`);
  return { name: field('name'), version: field('version'), backend: field('backend') };
}

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}
interface Lockfile {
  name: string;
  version: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

function imagePackageJson(dependencies: Record<string, string>): object {
  return { name: 'clinical-abstract-classifier-image', version: '0.0.0', private: true, type: 'module', dependencies };
}

/**
 * Writes package.json and the matching slice of the root package-lock.json for the bert runtime, so that
 * `npm ci` in the image installs exactly the versions the repository was tested with.
 */
async function writeRuntimePackage(
  rootDir: string,
  out: string,
): Promise<{ dependencies: Record<string, string>; prune: string[] }> {
  const rootPackage = JSON.parse(await readFile(join(rootDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const dependencies: Record<string, string> = {};
  for (const name of BERT_RUNTIME_PACKAGES) {
    const range = rootPackage.dependencies?.[name];
    if (range === undefined) throw new ImageContextError(`package.json has no production dependency ${name}`);
    dependencies[name] = range;
  }
  const lock = JSON.parse(await readFile(join(rootDir, 'package-lock.json'), 'utf8')) as Lockfile;
  const pkg = imagePackageJson(dependencies) as { name: string; version: string };
  const packages: Record<string, LockEntry> = { '': { name: pkg.name, version: pkg.version, dependencies } };
  for (const path of lockClosure(lock, Object.keys(dependencies))) {
    const entry = lock.packages[path];
    if (entry !== undefined) packages[path] = entry;
  }
  await writeJson(join(out, 'package.json'), pkg);
  await writeJson(join(out, 'package-lock.json'), {
    name: pkg.name,
    version: pkg.version,
    lockfileVersion: lock.lockfileVersion,
    requires: true,
    packages,
  });
  const used = new Set(lockClosure(lock, Object.keys(dependencies), BERT_RUNTIME_UNUSED));
  return { dependencies, prune: Object.keys(packages).filter((path) => path !== '' && !used.has(path)) };
}

/**
 * The lockfile paths (`node_modules/...`) that `roots` need, resolved the way Node looks up node_modules;
 * dependencies named in `skip` (and what only they need) are left out.
 */
export function lockClosure(lock: Lockfile, roots: readonly string[], skip: readonly string[] = []): string[] {
  const seen = new Set<string>();
  const resolveFrom = (fromPath: string, name: string): string | undefined => {
    // From node_modules/a/node_modules/b, try .../b/node_modules/x, then .../a/node_modules/x, then node_modules/x.
    let base = fromPath;
    for (;;) {
      const candidate = `${base === '' ? '' : `${base}/`}node_modules/${name}`;
      if (lock.packages[candidate] !== undefined) return candidate;
      if (base === '') return undefined;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };
  const visit = (fromPath: string, name: string, optional: boolean): void => {
    if (skip.includes(name)) return;
    const path = resolveFrom(fromPath, name);
    if (path === undefined) {
      if (optional) return;
      throw new ImageContextError(
        `package-lock.json does not resolve ${name} (needed by ${fromPath || 'the image'}); run npm install`,
      );
    }
    if (seen.has(path)) return;
    seen.add(path);
    const entry = lock.packages[path] ?? {};
    for (const dep of Object.keys(entry.dependencies ?? {})) visit(path, dep, false);
    for (const dep of Object.keys(entry.optionalDependencies ?? {})) visit(path, dep, true);
    for (const dep of Object.keys(entry.peerDependencies ?? {}))
      visit(path, dep, entry.peerDependenciesMeta?.[dep]?.optional === true);
  };
  for (const root of roots) visit('', root, false);
  return [...seen].sort();
}

/** Empties the output folder, refusing one that holds something else than an earlier image context (`--out .`). */
async function clearOutDir(out: string): Promise<void> {
  const entries = await readdir(out).catch(() => [] as string[]);
  if (entries.length > 0 && !entries.includes('image.json')) {
    throw new ImageContextError(
      `${out} is not empty and is not an image context (no image.json): refusing to delete it`,
    );
  }
  await rm(out, { recursive: true, force: true });
}

/** Files 0644, folders 0755 (and executables keep their x bits for everyone), whatever the umask was. */
async function makeWorldReadable(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await makeWorldReadable(path);
    else if (entry.isFile()) await chmod(path, (await stat(path)).mode & 0o100 ? 0o755 : 0o644);
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function writeJson(file: string, value: unknown): Promise<void> {
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}
