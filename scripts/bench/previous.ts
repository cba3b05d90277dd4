import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../infra/config.ts';

/**
 * The previous implementation, for side-by-side figures: the last release before the model package (the commit that
 * landed before it), checked out of git into a temporary folder with this checkout's node_modules, and imported from
 * there in the same process as the current code.
 */
export const PREVIOUS_RELEASE = '21a5204';

export interface PreviousCode {
  /** The checked-out folder (its `layers/`, its `package.json` aliases). */
  dir: string;
  /** Imports a module of the previous code by its path in the repository, e.g. `layers/core/classifier.ts`. */
  load<T>(path: string): Promise<T>;
  cleanup(): Promise<void>;
}

export async function checkoutPrevious(ref = PREVIOUS_RELEASE): Promise<PreviousCode | undefined> {
  if (!existsSync(join(REPO_ROOT, '.git'))) return undefined;
  try {
    execFileSync('git', ['cat-file', '-e', `${ref}^{commit}`], { cwd: REPO_ROOT, stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = await mkdtemp(join(tmpdir(), 'cac-previous-'));
  const archive = execFileSync('git', ['archive', ref, 'layers', 'package.json'], {
    cwd: REPO_ROOT,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', dir], { input: archive });
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  return {
    dir,
    load: async <T>(path: string) => (await import(join(dir, path))) as T,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
