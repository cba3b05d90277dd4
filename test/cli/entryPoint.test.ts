import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../scripts/cli.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a script with tsx the way `npx tsx <path>` does, from the copy's own folder. */
function runScript(cwd: string, script: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['--import', 'tsx', script, ...args],
      { cwd, timeout: 60_000 },
      (error, _stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr });
      },
    );
    child.stdin?.end();
  });
}

let root: string;
let checkout: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cac entry point-'));
  checkout = join(root, 'a checkout with spaces');
  for (const entry of ['package.json', 'tsconfig.json', 'scripts', 'layers', 'functions']) {
    await cp(join(REPO, entry), join(checkout, entry), { recursive: true });
  }
  await symlink(join(REPO, 'node_modules'), join(checkout, 'node_modules'));
  await symlink(checkout, join(root, 'linked'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a script run as a CLI', () => {
  it('runs from a folder whose path contains a space', async () => {
    const { code, stderr } = await runScript(checkout, join(checkout, 'scripts', 'evaluate.ts'), ['/nonexistent.csv']);
    expect(stderr).toMatch(/^error: .*nonexistent\.csv/m);
    expect(code).toBe(EXIT.noInput);
  });

  it('runs when reached through a symlinked folder', async () => {
    const { code, stderr } = await runScript(checkout, join(root, 'linked', 'scripts', 'evaluate.ts'), [
      '/nonexistent.csv',
    ]);
    expect(stderr).toMatch(/^error: .*nonexistent\.csv/m);
    expect(code).toBe(EXIT.noInput);
  });
});
