import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { main } from '../../scripts/training-fingerprints.ts';

const TRAINING_DATA = fileURLToPath(new URL('../../../shared/data/challenge_train.csv', import.meta.url));
const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('scripts/training-fingerprints.ts', () => {
  it.skipIf(!existsSync(TRAINING_DATA))(
    'rewrites a damaged training-fingerprints.bin from the training CSV (it reads only model.json, not the file it repairs)',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'cac-fingerprints-'));
      dirs.push(dir);
      await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
      await writeFile(join(dir, 'training-fingerprints.bin'), 'not a fingerprints file');
      expect(await main(['--data', TRAINING_DATA, '--out', dir])).toBe(0);
      expect(await readFile(join(dir, 'training-fingerprints.bin'))).toEqual(
        await readFile(join(DEFAULT_MODEL_DIR, 'training-fingerprints.bin')),
      );
    },
  );
});
