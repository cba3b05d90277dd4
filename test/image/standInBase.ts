/**
 * A stand-in for the Lambda Node.js base image, built on this machine: the Lambda base image
 * (public.ecr.aws/lambda/nodejs) cannot be pulled here, and neither can any other registry image. It is what the
 * Dockerfile needs from its base and no more, made with `docker import` from a root folder holding:
 *
 * - this machine's `node` (its major version, not Lambda's 22/24) and the shared libraries `ldd` names for it;
 * - busybox (Debian's static build) as /bin/sh and the few tools the Dockerfile's RUN steps use (mkdir, rm, cp, …);
 * - Lambda's layout and user: LAMBDA_TASK_ROOT=/var/task, /tmp, the non-root `sbx_user1051` (uid 993) that runs
 *   functions;
 * - a stand-in for the runtime interface (/var/runtime/invoke.mjs, the ENTRYPOINT): it imports the module the CMD
 *   names (`predict.handler` → /var/task/predict.mjs, export `handler`), calls it once with the event read from
 *   stdin, and prints the result. (The Lambda Runtime Interface Emulator is on neither npm nor Debian.)
 *
 * What it cannot show: Amazon Linux's libraries, Lambda's Node 22/24, the real runtime client. What it does show:
 * the Dockerfile builds, the final image holds what the handlers need, and they answer as a non-root user on a
 * read-only filesystem.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Lambda runs functions as this user (uid 993, gid 990 in the Node.js base images). */
export const LAMBDA_USER = '993:990';
export const STAND_IN_BASE = `cac-lambda-stand-in:node${process.versions.node.split('.')[0]}`;
/** Static busybox from Debian's busybox-static package. */
const BUSYBOX = '/bin/busybox';
const RESULT_MARKER = '@@result@@';

const INVOKE = `// Stand-in runtime interface: CMD "<module>.<export>"; the event on stdin; the result on stdout.
import { pathToFileURL } from 'node:url';
const [spec] = process.argv.slice(2);
const dot = spec.lastIndexOf('.');
const root = process.env.LAMBDA_TASK_ROOT;
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const event = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
const module = await import(pathToFileURL(root + '/' + spec.slice(0, dot) + '.mjs').href);
const context = { awsRequestId: 'stand-in', functionName: spec, getRemainingTimeInMillis: () => 30000 };
const result = await module[spec.slice(dot + 1)](event, context);
process.stdout.write('\\n${RESULT_MARKER}' + JSON.stringify(result ?? null) + '\\n');
`;

export async function docker(args: string[], options: { input?: string; timeoutMs?: number } = {}) {
  return new Promise<{ stdout: string; stderr: string; code: number }>((resolve, reject) => {
    const child = execFile(
      'docker',
      args,
      { timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        const code = error ? ((error as { code?: unknown }).code as number) : 0;
        if (error && typeof code !== 'number') reject(error);
        else resolve({ stdout, stderr, code });
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** Whether a Docker daemon answers (`docker info`). */
export async function dockerAnswers(): Promise<boolean> {
  return docker(['info', '--format', '{{.ServerVersion}}'], { timeoutMs: 20_000 }).then(
    ({ code }) => code === 0,
    () => false,
  );
}

/** The shared libraries `ldd` lists for a binary (and its loader). */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  return [...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
}

/** Builds the stand-in base image (once per machine: an existing tag is reused). */
export async function ensureStandInBase(): Promise<string> {
  if ((await docker(['image', 'inspect', STAND_IN_BASE])).code === 0) return STAND_IN_BASE;
  const work = await mkdtemp(join(tmpdir(), 'cac-stand-in-'));
  try {
    const root = join(work, 'root');
    const place = async (from: string, to = from) => {
      await mkdir(join(root, dirname(to)), { recursive: true });
      await copyFile(from, join(root, to));
      await chmod(join(root, to), 0o755);
    };
    await place(process.execPath, '/usr/bin/node');
    for (const library of await sharedLibraries(process.execPath)) await place(library);
    await place(BUSYBOX, '/bin/busybox');
    const { stdout: applets } = await run(BUSYBOX, ['--list']);
    for (const applet of applets.split('\n').filter((name) => name && name !== 'busybox'))
      await symlink('busybox', join(root, 'bin', applet));
    await mkdir(join(root, 'usr', 'bin'), { recursive: true });
    await symlink('/bin/env', join(root, 'usr', 'bin', 'env'));
    for (const dir of ['var/task', 'var/runtime', 'opt', 'etc', 'tmp'])
      await mkdir(join(root, dir), { recursive: true });
    await chmod(join(root, 'tmp'), 0o1777);
    await writeFile(
      join(root, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\n',
    );
    await writeFile(join(root, 'etc', 'group'), 'root:x:0:\nsbx_user1051:x:990:\n');
    await writeFile(join(root, 'var', 'runtime', 'invoke.mjs'), INVOKE);
    const tarball = join(work, 'root.tar');
    await run('tar', ['-C', root, '--owner=0', '--group=0', '-cf', tarball, '.']);
    const imported = await docker([
      'import',
      '--change',
      'ENV LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime PATH=/usr/bin:/bin LANG=en_US.UTF-8 TZ=UTC',
      '--change',
      'WORKDIR /var/task',
      '--change',
      'ENTRYPOINT ["/usr/bin/node", "/var/runtime/invoke.mjs"]',
      tarball,
      STAND_IN_BASE,
    ]);
    if (imported.code !== 0) throw new Error(`docker import failed: ${imported.stderr}`);
    return STAND_IN_BASE;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The handler's result from the stand-in runtime's output. */
export function resultOf(stdout: string): unknown {
  const at = stdout.lastIndexOf(RESULT_MARKER);
  if (at < 0) throw new Error(`the function printed no result:\n${stdout.slice(-2000)}`);
  return JSON.parse(stdout.slice(at + RESULT_MARKER.length));
}
