/**
 * The image's files, without Docker: the build context `npm run prepare-image` writes (under the strictest umask
 * a build machine may have), the Dockerfile stages that feed the final image, and the packages the image prunes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../infra/config.ts';

const run = promisify(execFile);

/** Every file and folder below `dir` with its permission bits. */
async function modes(dir: string): Promise<{ path: string; directory: boolean; mode: number }[]> {
  const found: { path: string; directory: boolean; mode: number }[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    found.push({ path, directory: entry.isDirectory(), mode: (await stat(path)).mode & 0o777 });
  }
  return found;
}

/** The Dockerfile's stages: name (or index), WORKDIR, and instructions with continuation lines joined. */
function stagesOf(dockerfile: string): { name: string; workdir: string; instructions: string[] }[] {
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: { name: string; workdir: string; instructions: string[] }[] = [];
  for (const instruction of instructions) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(instruction);
    if (from) stages.push({ name: from[1] ?? String(stages.length), workdir: '/', instructions: [] });
    else if (stages.length > 0) {
      const stage = stages[stages.length - 1]!;
      const workdir = /^WORKDIR\s+(\S+)/i.exec(instruction);
      if (workdir) stage.workdir = posix.resolve(stage.workdir, workdir[1]!);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

describe('the image build context and Dockerfile', () => {
  let work: string;
  let context: string;
  let probeMode: number;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cac-image-files-'));
    context = join(work, 'context');
    // The strictest umask a build machine may have; the probe file proves the child really ran under it.
    const script =
      'umask 077 && touch "$1.probe" && exec "$2" --import tsx scripts/prepare-image.ts --out "$1" --bert-runtime';
    await run('sh', ['-c', script, 'sh', context, process.execPath], { cwd: REPO_ROOT, timeout: 240_000 });
    probeMode = (await stat(`${context}.probe`)).mode & 0o777;
  }, 300_000);

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('is readable by everyone even when prepared under umask 077', async () => {
    expect(probeMode).toBe(0o600);
    const entries = await modes(context);
    expect(entries.length).toBeGreaterThan(0);
    const unreadable = entries.filter(({ directory, mode }) =>
      directory ? (mode & 0o555) !== 0o555 : (mode & 0o444) !== 0o444,
    );
    expect(unreadable.map(({ path, mode }) => `${path} ${mode.toString(8)}`)).toEqual([]);
  });

  it('makes everything the final stage copies readable by everyone in the stage it comes from', async () => {
    const stages = stagesOf(await readFile(join(context, 'Dockerfile'), 'utf8'));
    const final = stages[stages.length - 1]!;
    const copies = final.instructions.filter((instruction) => /^COPY\s/i.test(instruction));
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      const [, from, source] = /^COPY\s+--from=(\S+)\s+(\S+)\s+\S+$/i.exec(copy) ?? [];
      // Straight from the context the umask of the build machine would decide; every COPY goes through a stage.
      expect(from, copy).toBeDefined();
      const stage = stages.find((s) => s.name === from)!;
      const readable = stage.instructions
        .flatMap((instruction) =>
          [...instruction.matchAll(/chmod -R a\+rX ([^&]+)/g)].flatMap((m) => m[1]!.trim().split(/\s+/)),
        )
        .map((path) => posix.resolve(stage.workdir, path));
      expect(
        readable.some((dir) => posix.resolve(stage.workdir, source!).startsWith(dir)),
        copy,
      ).toBe(true);
    }
  });

  it("prunes onnxruntime-web and the GPU download's helpers, which the bert runtime loads without", async () => {
    const pruned = (await readFile(join(context, 'prune.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(pruned).toEqual(
      expect.arrayContaining(['node_modules/onnxruntime-web', 'node_modules/adm-zip', 'node_modules/global-agent']),
    );
    // Nested copies (node_modules/a/node_modules/b) go with their top-level package; block the top-level names.
    const names = pruned
      .filter((path) => path.lastIndexOf('node_modules/') === 0)
      .map((path) => path.slice('node_modules/'.length));
    // Loads what the bert backend and tokenizer import, refusing any pruned package (import or require).
    const script = `
      import Module, { register } from 'node:module';
      const blocked = ${JSON.stringify(names)};
      const isBlocked = (s) => blocked.some((b) => s === b || s.startsWith(b + '/'));
      const resolveFilename = Module._resolveFilename;
      Module._resolveFilename = function (request, ...rest) {
        if (isBlocked(request)) throw new Error('pruned package required: ' + request);
        return resolveFilename.call(this, request, ...rest);
      };
      register('data:text/javascript,' + encodeURIComponent(
        'const blocked = ' + JSON.stringify(blocked) + ';' +
        'export async function resolve(s, c, next) { if (blocked.some((b) => s === b || s.startsWith(b + "/"))) throw new Error("pruned package imported: " + s); return next(s, c); }'));
      const ort = await import('onnxruntime-node');
      const transformers = await import('@huggingface/transformers');
      new ort.Tensor('float32', new Float32Array(2), [1, 2]);
      process.stdout.write(typeof transformers.AutoTokenizer.from_pretrained);
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: REPO_ROOT,
      timeout: 120_000,
    });
    expect(stdout).toBe('function');
  }, 180_000);
});
