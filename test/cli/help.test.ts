import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/config.ts';

const run = promisify(execFile);
const tsx = (script: string, args: string[]) =>
  run(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, timeout: 60_000 });

describe('--help on the command lines that share scripts/cli.ts', () => {
  it.each([
    ['scripts/evaluate.ts', '--help', /^usage: npm run evaluate -- <input\.csv>.*\n[\s\S]*Exit codes: 0 ok/],
    ['scripts/evaluate.ts', '-h', /^usage: npm run evaluate -- <input\.csv>/],
    ['scripts/train.ts', '--help', /^usage: npm run train -- --data <labelled\.csv>/],
    ['scripts/training-fingerprints.ts', '-h', /^usage: npx tsx scripts\/training-fingerprints\.ts/],
  ])('%s %s prints the usage on stdout and exits 0, doing nothing else', async (script, flag, usage) => {
    const { stdout, stderr } = await tsx(script, [flag]);
    expect(stdout).toMatch(usage);
    expect(stderr).toBe('');
  });

  it('still fails an unknown flag with exit code 64 and the usage on stderr', async () => {
    const failure = await tsx('scripts/evaluate.ts', ['--bogus']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 64 });
    expect((failure as { stderr: string }).stderr).toMatch(/Unknown option '--bogus'[\s\S]*usage: npm run evaluate/);
  });
});
