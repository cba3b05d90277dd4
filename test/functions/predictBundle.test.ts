import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { RUNTIME_EXTERNALS } from '../../infra/image/prepareImage.ts';

/**
 * What the predict function's bundle is made of (issue 14: full zod was 734 KB of it, half locale files, and most of
 * its cold start). The API's request schema, the manifest, the model package and the BERT manifest all validate with
 * zod/mini, so full zod is not in the bundle at all.
 */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FULL_ZOD = /node_modules\/zod\/(index\.js|v4\/classic\/)/;

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

  it('pulls in full zod through no module at all', () => {
    expect(importersOf(FULL_ZOD)).toEqual([]);
    expect(Object.keys(inputs).filter((path) => FULL_ZOD.test(path))).toEqual([]);
  });
});
