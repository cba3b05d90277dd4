import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_EXTERNALS } from '../../infra/image/prepareImage.ts';

/**
 * What the predict function's bundle is made of (issue 14: full zod was 734 KB of it, half locale files, and most of
 * its cold start). The API's request schema, the manifest, the model package and the BERT manifest all validate with
 * zod/mini, so full zod is not in the bundle at all; and a cold start loads none of it: each schema is imported only
 * when its fast path (#core/plainJson.ts) declines an input.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FULL_ZOD = /node_modules\/zod\/(index\.js|v4\/classic\/)/;

type Inputs = Record<string, { imports: { path: string; original?: string }[] }>;
type Outputs = Record<
  string,
  { imports: { path: string; kind: string }[]; inputs: Record<string, unknown>; entryPoint?: string }
>;

/** One function's bundle as the image builds it (infra/image/prepareImage.ts): dynamic imports in chunks of their own. */
async function bundleOf(entry: string): Promise<{ inputs: Inputs; outputs: Outputs }> {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: [...RUNTIME_EXTERNALS],
    metafile: true,
    write: false,
    outdir: 'bundle',
    splitting: true,
    logLevel: 'silent',
  });
  return result.metafile;
}

let inputs: Inputs;
let outputs: Outputs;
beforeAll(async () => {
  ({ inputs, outputs } = await bundleOf('functions/predict/handler.ts'));
});

/** The source files of every output a cold start loads: the entry and what it imports statically, transitively. */
function loadedAtColdStart(handler = 'functions/predict/handler.ts', bundle = outputs): string[] {
  const entry = Object.keys(bundle).find((path) => bundle[path]!.entryPoint === handler)!;
  const seen = new Set([entry]);
  const queue = [entry];
  for (let next = queue.pop(); next !== undefined; next = queue.pop())
    for (const imported of bundle[next]!.imports)
      if (imported.kind === 'import-statement' && bundle[imported.path] && !seen.has(imported.path)) {
        seen.add(imported.path);
        queue.push(imported.path);
      }
  return [...seen].flatMap((output) => Object.keys(bundle[output]!.inputs));
}

const importersOf = (pattern: RegExp): string[] =>
  Object.entries(inputs)
    .filter(([path, input]) => !path.includes('node_modules') && input.imports.some((i) => pattern.test(i.path)))
    .map(([path]) => path)
    .sort();

describe('the predict bundle', () => {
  it('validates requests with zod/mini', () => {
    expect(importersOf(/node_modules\/zod\/(v4\/)?mini\//)).toContain('layers/adapters/api/predictRequest.ts');
  });

  it('loads no zod to answer a valid request: the schemas are imported only when a fast path declines', () => {
    const loaded = loadedAtColdStart();
    expect(loaded).toContain('layers/adapters/api/predictRequestFast.ts');
    expect(loaded).toContain('layers/core/manifestFast.ts');
    expect(loaded).toContain('layers/model/linearConfigFast.ts');
    expect(loaded.filter((path) => path.includes('node_modules/zod/'))).toEqual([]);
    for (const schema of ['predictRequest.ts', 'manifestSchema.ts', 'linearConfigSchema.ts'])
      expect(loaded.filter((path) => path.endsWith(`/${schema}`))).toEqual([]);
  });

  it('pulls in full zod through no module at all', () => {
    expect(importersOf(FULL_ZOD)).toEqual([]);
    expect(Object.keys(inputs).filter((path) => FULL_ZOD.test(path))).toEqual([]);
  });
});

describe('the health bundle', () => {
  it('loads zod only for /openapi.json: GET /health and the page answer without it', async () => {
    const handler = 'functions/health/handler.ts';
    const loaded = loadedAtColdStart(handler, (await bundleOf(handler)).outputs);
    expect(loaded).toContain('layers/adapters/api/infoHandler.ts');
    expect(loaded.filter((path) => path.includes('node_modules/zod/'))).toEqual([]);
    expect(loaded.filter((path) => path.endsWith('/openapi.ts'))).toEqual([]);
  });
});
