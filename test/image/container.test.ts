/**
 * `npm run test:image` (opt-in; .ci/run runs it when a Docker daemon answers): builds infra/image/Dockerfile from the
 * context the CDK app prepares, on the stand-in base (standInBase.ts: the Lambda base image cannot be pulled here),
 * then calls the handlers inside the container as Lambda runs them: the CMD picks the handler, a non-root user,
 * a read-only root filesystem with a writable /tmp, no network. Prints the image's sizes (the README quotes them).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { readManifest } from '#core/manifest.ts';
import { prepareImageContext } from '../../infra/image/prepareImage.ts';
import { apiGatewayEvent } from '../../scripts/fixtures/apiEvents.ts';
import { docker, dockerAnswers, ensureStandInBase, LAMBDA_USER, resultOf } from './standInBase.ts';

const IMAGE = 'cac-image-test:latest';
const LAMBDA_LIKE = ['run', '--rm', '-i', '--read-only', '--tmpfs', '/tmp', '--user', LAMBDA_USER, '--network', 'none'];

let work: string;
let built = false;
beforeAll(async () => {
  if (!(await dockerAnswers()))
    throw new Error('no Docker daemon answers `docker info`: start one (README, "The image test") or skip test:image');
  const base = await ensureStandInBase();
  work = await mkdtemp(join(tmpdir(), 'cac-image-'));
  await prepareImageContext(join(work, 'context'), { modelDir: DEFAULT_MODEL_DIR });
  const build = await docker(['build', '--build-arg', `NODE_IMAGE=${base}`, '-t', IMAGE, join(work, 'context')]);
  if (build.code !== 0) throw new Error(`docker build failed:\n${build.stdout}\n${build.stderr}`);
  built = true;
  const size = async (image: string) =>
    Number((await docker(['image', 'inspect', '--format', '{{.Size}}', image])).stdout.trim());
  const added = (await size(IMAGE)) - (await size(base));
  const layers = await docker(['history', '--no-trunc', '--format', '{{.Size}}\t{{.CreatedBy}}', IMAGE]);
  const copies = layers.stdout
    .split('\n')
    .map((layer) => /^(\S+)\t.*\bCOPY .* in (\S+)/.exec(layer))
    .filter((match): match is RegExpExecArray => match !== null && match[1] !== '0B')
    .map((match) => `${match[2]} ${match[1]}`);
  process.stdout.write(
    `\nimage ${IMAGE}: ${(added / 1e6).toFixed(1)} MB on top of the stand-in base (${copies.join(', ')})\n`,
  );
}, 900_000);
afterAll(async () => {
  if (built) await docker(['image', 'rm', IMAGE]);
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs one handler of the image with `event` on stdin, as Lambda would start it. */
async function invoke(handler: string, event: unknown): Promise<{ statusCode: number; body: string }> {
  const { stdout, stderr, code } = await docker([...LAMBDA_LIKE, IMAGE, handler], { input: JSON.stringify(event) });
  if (code !== 0) throw new Error(`${handler} exited ${code}:\n${stdout}\n${stderr}`);
  return resultOf(stdout) as { statusCode: number; body: string };
}

describe('the image built from infra/image/Dockerfile (on the stand-in base)', () => {
  it('answers GET /health with the embedded model, as a non-root user on a read-only filesystem', async () => {
    const { name, version } = await readManifest(DEFAULT_MODEL_DIR);
    const response = await invoke('health.handler', apiGatewayEvent('GET', '/health'));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'ok', model: { name, version } });
  });

  it('answers GET /openapi.json (the document, imported at its first request, ships)', async () => {
    const response = await invoke('health.handler', apiGatewayEvent('GET', '/openapi.json'));

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
  });

  it('answers POST /predict', async () => {
    const response = await invoke(
      'predict.handler',
      apiGatewayEvent('POST', '/predict', { texts: ['Atrial fibrillation and heart failure after cardiac surgery'] }),
    );

    expect(response.statusCode).toBe(200);
    expect((JSON.parse(response.body) as { labels: string[] }[])[0]!.labels).toContain('cardiovascular');
  });

  it("answers an invalid POST /predict with the schema's errors (the schema's chunk, loaded only then, ships)", async () => {
    const response = await invoke('predict.handler', apiGatewayEvent('POST', '/predict', { texts: ['   ', 7] }));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      error: {
        code: 'invalid_request',
        details: [
          { path: '$.texts[0]', message: 'must not be empty or only whitespace' },
          { path: '$.texts[1]', message: 'Invalid input: expected string, received number' },
        ],
      },
    });
  });

  it('runs the functions as that user, who may read every file of the image and write nowhere but /tmp', async () => {
    const script = [
      "const fs = require('node:fs');",
      "const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); return 'written'; } catch (e) { return e.code; } };",
      'console.log(JSON.stringify({ uid: process.getuid(), gid: process.getgid(),',
      "  task: tryWrite('/var/task/x'), model: tryWrite('/opt/model/x'), tmp: tryWrite('/tmp/x'),",
      "  readable: ['/var/task/predict.mjs', '/opt/model/model.json', '/var/task/web/index.html'].map((p) => fs.readFileSync(p).length > 0) }));",
    ].join('\n');
    const { stdout, code } = await docker([...LAMBDA_LIKE, '--entrypoint', '/usr/bin/node', IMAGE, '-e', script]);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      uid: 993,
      gid: 990,
      task: 'EROFS',
      model: 'EROFS',
      tmp: 'written',
      readable: [true, true, true],
    });
  });

  it('sets no NODE_OPTIONS: source maps are off unless the deployment turns them on', async () => {
    const { stdout } = await docker([
      ...LAMBDA_LIKE,
      '--entrypoint',
      '/usr/bin/node',
      IMAGE,
      '-e',
      'console.log(JSON.stringify(process.env.NODE_OPTIONS ?? null))',
    ]);
    expect(JSON.parse(stdout)).toBeNull();
  });
});
