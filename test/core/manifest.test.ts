import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { ModelLoadError } from '#core/errors.ts';
import { readManifest } from '#core/manifest.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cac-manifest-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readManifest', () => {
  it('names every invalid field of model.json with its path', async () => {
    const manifest = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({
        ...manifest,
        version: '',
        thresholds: { ...(manifest.thresholds as object), oncological: 'high' },
      }),
    );

    const error = await readManifest(dir).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelLoadError);
    expect((error as Error).message).toContain(`${join(dir, 'model.json')} is not a valid model manifest`);
    expect((error as Error).message).toMatch(/→ at version\b/);
    expect((error as Error).message).toMatch(/→ at thresholds\.oncological\b/);
  });
});
