import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/config.ts';

/**
 * `npm start` as a person runs it (scripts/dev-server.ts in a child process, random ports): its banner must stay
 * readable however many requests the page sends, so per-request log lines appear only when asked for.
 */
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'cac-devlogs-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

async function runDevServer(env: Record<string, string>, requests: number): Promise<string> {
  const { LOG_LEVEL: _, POWERTOOLS_LOG_LEVEL: __, ...inherited } = process.env;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'scripts/dev-server.ts'], {
    cwd: REPO_ROOT,
    env: { ...inherited, PORT: '0', S3_PORT: '0', DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    const deadline = Date.now() + 60_000;
    while (!output.includes('Ctrl-C stops everything.')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start did not start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const apiUrl = /^API +(http:\/\/127\.0\.0\.1:\d+)/m.exec(output)![1]!;
    for (let i = 0; i < requests; i++) {
      const body = i % 2 === 0 ? { texts: ['Chest pain and elevated troponin.'] } : { texts: [] };
      await fetch(`${apiUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.text());
    }
    await new Promise((r) => setTimeout(r, 200));
    return output;
  } finally {
    if (child.exitCode === null) {
      child.kill('SIGINT');
      await new Promise((r) => child.once('exit', r));
    }
  }
}

describe('npm start logs', () => {
  it('print the banner and no line per request by default (warnings and errors only)', async () => {
    const output = await runDevServer({}, 6);
    expect(output).toContain('API docs');
    expect(output).toContain('LOG_LEVEL=DEBUG npm start shows a line per request');
    expect(output.split('\n').filter((line) => line.startsWith('{'))).toEqual([]);
  });

  it('add a structured line per request with LOG_LEVEL=DEBUG', async () => {
    const output = await runDevServer({ LOG_LEVEL: 'DEBUG' }, 2);
    const lines = output.split('\n').filter((line) => line.startsWith('{'));
    expect(lines.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(
      expect.arrayContaining(['predicted', 'request rejected']),
    );
  });
});
