import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function run(script: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [script], { timeout: 60_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
    });
  });
}

/** A checkout holding only .ci/ and a package.json without a lockfile, so a wrongly reached `npm ci` fails at once. */
let root: string;
let checkout: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'cac-ci-'));
  checkout = join(root, 'checkout');
  await cp(join(REPO, '.ci'), join(checkout, '.ci'), { recursive: true });
  await writeFile(join(checkout, 'package.json'), '{"name": "ci-check", "private": true}\n');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('CI', () => {
  it('fails before installing anything when ../shared is absent, naming the missing files', async () => {
    const { code, stderr } = await run(join(checkout, '.ci', 'run'));

    expect(code).not.toBe(0);
    expect(stderr).toContain(
      'missing: ../shared/models/bioclinicalbert/tokenizer.json ../shared/models/bioclinicalbert/vocab.txt',
    );
  });

  it('accepts a checkout with the shared tokenizer next to it', async () => {
    const bert = join(root, 'shared', 'models', 'bioclinicalbert');
    await mkdir(bert, { recursive: true });
    await writeFile(join(bert, 'tokenizer.json'), '{}');
    await writeFile(join(bert, 'vocab.txt'), '[PAD]\n');

    expect(await run(join(checkout, '.ci', 'require-shared'))).toEqual({ code: 0, stderr: '' });
  });
});
