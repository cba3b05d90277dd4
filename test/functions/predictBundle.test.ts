import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_EXTERNALS } from '../../infra/image/prepareImage.ts';

/**
 * What the predict function's bundle is made of (issue 14: full zod was 734 KB of it, half locale files, and most of
 * its cold start). The API's own modules validate with zod/mini; the model's modules are the model package's to
 * move off full zod, and are the only ones allowed to import it here until they do.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FULL_ZOD = /node_modules\/zod\/(index\.js|v4\/classic\/)/;
// The model package's modules (manifest, linear backend): being replaced by the lead, not by the API.
const MODEL_MODULES = ['layers/core/manifest.ts', 'layers/core/backends/linear.ts', 'layers/core/bert/bertManifest.ts'];

let inputs: Record<string, { imports: { path: string; original?: string }[] }>;
beforeAll(async () => {
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: ['functions/predict/handler.ts'],
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: [...RUNTIME_EXTERNALS],
    metafile: true,
    write: false,
    outdir: 'bundle',
    logLevel: 'silent',
  });
  inputs = result.metafile.inputs;
});

const importersOf = (pattern: RegExp): string[] =>
  Object.entries(inputs)
    .filter(([path, input]) => !path.includes('node_modules') && input.imports.some((i) => pattern.test(i.path)))
    .map(([path]) => path)
    .sort();

describe('the predict bundle', () => {
  it('validates requests with zod/mini', () => {
    expect(importersOf(/node_modules\/zod\/(v4\/)?mini\//)).toContain('layers/adapters/api/predictRequest.ts');
  });

  it('pulls in full zod through no module of the API (only the model package still imports it)', () => {
    const importers = importersOf(FULL_ZOD);
    expect(importers.filter((path) => !MODEL_MODULES.includes(path))).toEqual([]);
  });
});
