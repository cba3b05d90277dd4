/**
 * What the Lambda image would contain and do, proven without Docker: the same `prepareImageContext` the CDK app
 * uses writes the build context to a temporary folder outside the repository; the test lays it out as the
 * Dockerfile's final stage does (bundles at the task root, model at MODEL_DIR) and runs handlers there with a
 * bare `node` child process: no dev dependencies, no node_modules, no access to the source tree.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { readConfig } from '../../infra/config.ts';
import { AGGREGATE_PAYLOAD_PATH } from '../../infra/constructs/fanout.ts';
import { HANDLERS, type ImageDescription, prepareImageContext } from '../../infra/image/prepareImage.ts';
import { apiGatewayEvent } from '../../scripts/fixtures/apiEvents.ts';
import { s3ObjectCreated, sqsBatchOf } from '../support/events.ts';

const run = promisify(execFile);

/** The part of s3rver this test uses (the package ships no types). */
interface LocalS3 {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
}) => LocalS3;

/** What V8 prints (on stdout, with `--trace-protector-invalidation`) when a process first detaches an ArrayBuffer. */
const DETACHING_INVALIDATED = 'Invalidating protector cell ArrayBufferDetaching';

/**
 * Runs `handler(event, context)` of one bundle in a fresh node process with only the given environment, and fails
 * if it detached an ArrayBuffer (a transfer, a byte stream, a growing WebAssembly memory). The first detach in a
 * thread invalidates V8's ArrayBufferDetaching protector for that thread's isolate for good: every typed-array access
 * then checks for a detached buffer, and the model's loops are all typed arrays (in the bench, a process that had
 * detached one ran templates at 19.2–20.6 µs instead of 15.8–16.5: README, "Benchmarks"). No handler needs to.
 */
async function invoke(
  taskRoot: string,
  name: string,
  event: unknown,
  env: Record<string, string>,
): Promise<{ result: unknown; output: string }> {
  const eventFile = join(taskRoot, '..', `${name}-event.json`);
  await writeFile(eventFile, JSON.stringify(event));
  const script = `
    import { readFile } from 'node:fs/promises';
    import { pathToFileURL } from 'node:url';
    const [bundle, eventFile] = process.argv.slice(1);
    const { handler } = await import(pathToFileURL(bundle).href);
    const event = JSON.parse(await readFile(eventFile, 'utf8'));
    const context = { awsRequestId: 'image-test-request', functionName: 'image-test', getRemainingTimeInMillis: () => 60000 };
    const result = await handler(event, context);
    process.stdout.write('\\n@@result@@' + JSON.stringify(result ?? null) + '\\n');
  `;
  const { stdout, stderr } = await run(
    process.execPath,
    ['--trace-protector-invalidation', '--input-type=module', '-e', script, join(taskRoot, `${name}.mjs`), eventFile],
    {
      cwd: taskRoot,
      // Nothing inherited: what the image sets, plus what each test adds.
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        LAMBDA_TASK_ROOT: taskRoot,
        TZ: 'UTC',
        ...env,
      },
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const marker = stdout.lastIndexOf('@@result@@');
  if (marker < 0) throw new Error(`${name} printed no result\n${stdout}\n${stderr}`);
  if (stdout.includes(DETACHING_INVALIDATED))
    throw new Error(`${name} detached an ArrayBuffer: typed arrays are slower for the rest of the process`);
  // The result's own line: anything V8 traces after the handler returns (at exit, say) goes on lines of its own.
  const resultLine = stdout.slice(marker + '@@result@@'.length).split('\n', 1)[0]!;
  return { result: JSON.parse(resultLine), output: stdout.slice(0, marker) + stderr };
}

/** An SQS batch of one message carrying an S3 ObjectCreated notification, keys URL-encoded the way S3 does. */
function uploadEvent(bucket: string, key: string, size: number) {
  return sqsBatchOf(s3ObjectCreated(bucket, key, size));
}

/**
 * Module specifiers a file imports statically (`import ... from "x"`, `import "x"`, `export ... from "x"`), in
 * readable or minified code (`import{a as b}from"x";`); `import("x")` is dynamic and not one of them.
 */
function staticImports(source: string): string[] {
  // At a statement's start only (after a line start, `;` or `}`): a message that quotes `import "x"` is no import.
  return [...source.matchAll(/(?:^|[;}])\s*(?:import|export)\s*(?:[\w$*{},\s]*?\bfrom\s*)?(["'])([^"']+)\1/gm)].map(
    (m) => m[2]!,
  );
}

/** The value a `$`/`$.field` JSONPath selects from a state's input, as the state machine resolves it. */
function select(input: Record<string, unknown>, path: string): unknown {
  if (path === '$') return input;
  if (!path.startsWith('$.') || path.slice(2).includes('.')) throw new Error(`unsupported path ${path}`);
  return input[path.slice(2)];
}

/** A stand-in for the Step Functions API that records StartExecution requests. */
async function fakeStepFunctions(): Promise<{ server: Server; endpoint: string; started: Record<string, unknown>[] }> {
  const started: Record<string, unknown>[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      if (String(request.headers['x-amz-target']) === 'AWSStepFunctions.StartExecution')
        started.push(JSON.parse(body) as Record<string, unknown>);
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:fanout:test',
          startDate: 1795942800,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { server, endpoint: `http://127.0.0.1:${address.port}`, started };
}

describe('the Lambda image, assembled without Docker', () => {
  let work: string;
  let context: string;
  let taskRoot: string;
  let modelDir: string;
  let description: ImageDescription;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'cac-image-'));
    context = join(work, 'context');
    description = await prepareImageContext(context, { modelDir: DEFAULT_MODEL_DIR });
    // The Dockerfile's final stage: COPY app/ ${LAMBDA_TASK_ROOT}/, the model at /opt/model (MODEL_DIR).
    taskRoot = join(work, 'var', 'task');
    modelDir = join(work, 'opt', 'model');
    await cp(join(context, 'app'), taskRoot, { recursive: true });
    await cp(join(context, 'model'), modelDir, { recursive: true });
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds one bundle per handler, the model and the Dockerfile, and no node_modules for the linear model', async () => {
    const top = await readdir(context);
    const bundles = (await readdir(join(context, 'app'))).filter((file) => file.endsWith('.mjs'));

    expect(description.handlers).toEqual([...HANDLERS].sort());
    expect(bundles.sort()).toEqual(HANDLERS.map((name) => `${name}.mjs`).sort());
    expect(top).toEqual(expect.arrayContaining(['Dockerfile', 'app', 'model', 'tools', 'package.json']));
    expect(top).not.toContain('node_modules');
    expect(JSON.parse(await readFile(join(context, 'model', 'model.json'), 'utf8'))).toMatchObject({
      backend: description.model.backend,
    });
    expect(description.dependencies).toEqual(
      description.model.backend === 'bert-onnx'
        ? expect.objectContaining({ 'onnxruntime-node': expect.any(String) })
        : {},
    );
  });

  it('gives every COPY of the Dockerfile a source in the context', async () => {
    const dockerfile = await readFile(join(context, 'Dockerfile'), 'utf8');
    const sources = [...dockerfile.matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm)].flatMap((m) =>
      m[1]!.trim().split(/\s+/),
    );

    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources.filter((s) => !s.endsWith('*'))) {
      await expect(stat(join(context, source)), source).resolves.toBeDefined();
    }
  });

  it('imports only Node built-ins and its own chunks at load time (onnxruntime only behind a dynamic import)', async () => {
    const appDir = join(context, 'app');
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of staticImports(await readFile(file, 'utf8'))) {
        if (specifier.startsWith('.')) await visit(join(file, '..', specifier));
        else if (!isBuiltin(specifier)) bare.add(specifier);
      }
    };
    for (const name of HANDLERS) await visit(join(appDir, `${name}.mjs`));

    expect([...bare]).toEqual([]);
    // The scan follows the bundles into their shared chunks (it would find nothing in code it cannot read).
    expect(seen.size).toBeGreaterThan(HANDLERS.length);
    expect(
      staticImports('import{a as b}from"./c.mjs";const m="such as [import \\"x\\";]";await import("onnxruntime-node")'),
    ).toEqual(['./c.mjs']);
  });

  it('answers POST /predict from the copied image layout', async () => {
    const { result, output } = await invoke(
      taskRoot,
      'predict',
      apiGatewayEvent('POST', '/predict', {
        texts: [
          'Atrial fibrillation and heart failure after coronary artery bypass surgery',
          'Glioblastoma resection outcomes',
        ],
      }),
      { MODEL_DIR: modelDir, LOG_LEVEL: 'WARN' },
    );
    const response = result as { statusCode: number; body: string };

    expect(response.statusCode, output).toBe(200);
    const body = JSON.parse(response.body) as { labels: string[]; proba: Record<string, number> }[];
    expect(body).toHaveLength(2);
    for (const prediction of body) {
      expect(prediction.labels.length).toBeGreaterThan(0);
      expect(Object.keys(prediction.proba).sort()).toEqual(['cardio', 'hepato', 'neuro', 'onco']);
    }
  });

  it('notices a handler that detaches an ArrayBuffer (every invocation in this file is checked so)', async () => {
    // The check must be able to fail: a handler that transfers a buffer, as a byte stream or a worker message would.
    await writeFile(
      join(taskRoot, 'detaching.mjs'),
      'export const handler = async () => { const b = new ArrayBuffer(8); structuredClone(b, { transfer: [b] }); return 1; };\n',
    );
    const plain = join(taskRoot, 'plain.mjs');
    await writeFile(plain, 'export const handler = async () => 1;\n');
    try {
      await expect(invoke(taskRoot, 'detaching', {}, {})).rejects.toThrow('detaching detached an ArrayBuffer');
      await expect(invoke(taskRoot, 'plain', {}, {})).resolves.toMatchObject({ result: 1 });
    } finally {
      await rm(join(taskRoot, 'detaching.mjs'), { force: true });
      await rm(plain, { force: true });
    }
  });

  it('answers GET /health with the embedded model', async () => {
    const { result, output } = await invoke(taskRoot, 'health', apiGatewayEvent('GET', '/health'), {
      MODEL_DIR: modelDir,
      LOG_LEVEL: 'WARN',
    });
    const response = result as { statusCode: number; body: string };

    expect(response.statusCode, output).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({
      status: 'ok',
      model: { name: description.model.name, backend: description.model.backend },
    });
  });

  it("serves the web page, the docs and their assets from the image's web/ folder", async () => {
    const env = { MODEL_DIR: modelDir, LOG_LEVEL: 'WARN' };
    const browser = (path: string, accept: string) => {
      const event = apiGatewayEvent('GET', path);
      return { ...event, headers: { ...event.headers, accept, 'accept-encoding': 'identity' } };
    };
    const page = (await invoke(taskRoot, 'health', browser('/', 'text/html,*/*;q=0.8'), env)).result as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };
    const docs = (await invoke(taskRoot, 'health', browser('/docs', 'text/html'), env)).result as {
      statusCode: number;
      body: string;
    };
    const script = (await invoke(taskRoot, 'health', browser('/assets/page.js', '*/*'), env)).result as {
      statusCode: number;
      headers: Record<string, string>;
      body: string;
    };

    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body).toContain('data-testid="classify-button"');
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('assets/swagger-ui-bundle.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.body.length).toBeGreaterThan(0);
  });

  it('answers the $default catch-all route with JSON 404 and 405', async () => {
    const env = { MODEL_DIR: modelDir, LOG_LEVEL: 'WARN' };
    const unknown = (await invoke(taskRoot, 'health', apiGatewayEvent('GET', '/nope', undefined, '$default'), env))
      .result as {
      statusCode: number;
      body: string;
    };
    const wrongMethod = (
      await invoke(taskRoot, 'health', apiGatewayEvent('GET', '/predict', undefined, '$default'), env)
    ).result as { statusCode: number; headers: Record<string, string> };

    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ error: { code: 'not_found' } });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('POST');
  });

  describe('evaluate, against a local S3', () => {
    let server: LocalS3;
    let s3: S3Client;
    let endpoint: string;
    const bucket = 'image-test-bucket';

    beforeAll(async () => {
      server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(work, 's3') });
      const { port } = await server.run();
      endpoint = `http://127.0.0.1:${port}`;
      s3 = new S3Client({
        endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      });
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    afterAll(async () => {
      s3?.destroy();
      await server?.close();
    });

    it('writes predictions and metrics under results/ for a CSV uploaded under incoming/', async () => {
      const csv = [
        'title;abstract;group',
        'Heart failure;Reduced ejection fraction after myocardial infarction treated with beta blockers;cardiovascular',
        'Liver fibrosis;Chronic kidney disease and hepatic cirrhosis in dialysis patients;hepatorenal',
        'Seizures;Epilepsy and migraine in children with cerebral palsy;neurological',
        '"Tumour; growth";Breast cancer chemotherapy and metastatic carcinoma survival;oncological',
      ].join('\r\n');
      const key = 'incoming/trial run+1.csv';
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: csv }));

      const { result, output } = await invoke(taskRoot, 'evaluate', uploadEvent(bucket, key, Buffer.byteLength(csv)), {
        MODEL_DIR: modelDir,
        LOG_LEVEL: 'WARN',
        FANOUT_ROW_THRESHOLD: '20000',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        // The SDK's own endpoint variable; an IP endpoint makes it use path-style requests, as s3rver needs.
        AWS_ENDPOINT_URL_S3: endpoint,
      });

      expect(result, output).toEqual({ batchItemFailures: [] });
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'results/' }));
      const keys = (listed.Contents ?? []).map((object) => object.Key);
      expect(keys, output).toEqual(
        expect.arrayContaining(['results/trial run+1/predictions.csv', 'results/trial run+1/metrics.json']),
      );
      const predictions = await (
        await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'results/trial run+1/predictions.csv' }))
      ).Body!.transformToString();
      const lines = predictions.trim().split(/\r?\n/);
      expect(lines).toHaveLength(5);
      expect(lines[0]).toMatch(
        /^title,abstract,group,group_predicted,proba_cardiovascular,proba_hepatorenal,proba_neurological,proba_oncological,kind,confidence$/,
      );
    });

    it('fans a large CSV out as the state machine would (chunk batches, then aggregate) with the inline result', async () => {
      const env = {
        MODEL_DIR: modelDir,
        LOG_LEVEL: 'WARN',
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_ENDPOINT_URL_S3: endpoint,
      };
      const organs = [
        'heart failure and atrial fibrillation',
        'liver cirrhosis and renal failure',
        'epilepsy and stroke',
        'breast carcinoma and metastases',
      ];
      const groups = ['cardiovascular', 'hepatorenal', 'neurological', 'oncological'];
      const rows = Array.from(
        { length: 5_500 },
        (_, i) => `Case ${i},"Patients with ${organs[i % 4]}, cohort ${i}",${groups[i % 4]}`,
      );
      const csv = ['title,abstract,group', ...rows].join('\n');
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'incoming/large/inline.csv', Body: csv }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'incoming/large/fanned.csv', Body: csv }));
      const sfn = await fakeStepFunctions();
      let partsPrefix: unknown;
      try {
        await invoke(taskRoot, 'evaluate', uploadEvent(bucket, 'incoming/large/inline.csv', csv.length), env);
        const { result, output } = await invoke(
          taskRoot,
          'evaluate',
          uploadEvent(bucket, 'incoming/large/fanned.csv', csv.length),
          {
            ...env,
            FANOUT_ROW_THRESHOLD: '1000',
            STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:fanout',
            AWS_ENDPOINT_URL_SFN: sfn.endpoint,
          },
        );
        expect(result, output).toEqual({ batchItemFailures: [] });
        expect(sfn.started).toHaveLength(1);
        const input = JSON.parse(String(sfn.started[0]!.input)) as Record<string, unknown>;
        partsPrefix = input.partsPrefix;

        // The Distributed Map: read the range list's array elements as items, hand each child {"Items": [...]}
        // (no BatchInput: every item carries its run), then aggregate.
        const manifestText = await (
          await s3.send(new GetObjectCommand({ Bucket: String(input.bucket), Key: String(input.rangesKey) }))
        ).Body!.transformToString();
        const items = JSON.parse(manifestText) as unknown[];
        const perBatch = readConfig({ tryGetContext: () => undefined, getAllContext: () => ({}) }).fanoutItemsPerBatch;
        expect(items.length).toBeGreaterThan(perBatch);
        for (let i = 0; i < items.length; i += perBatch) {
          const batch = { Items: items.slice(i, i + perBatch) };
          const chunk = await invoke(taskRoot, 'chunk', batch, env);
          expect(chunk.result, chunk.output).toMatchObject({ items: batch.Items.length });
        }
        const aggregated = await invoke(taskRoot, 'aggregate', select(input, AGGREGATE_PAYLOAD_PATH), env);
        expect(aggregated.result, aggregated.output).toMatchObject({ rows: 5_500, rejected: false });
      } finally {
        await new Promise((resolve) => sfn.server.close(resolve));
      }

      const read = async (key: string) =>
        (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString();
      expect(await read('results/large/fanned/predictions.csv')).toBe(
        await read('results/large/inline/predictions.csv'),
      );
      expect(JSON.parse(await read('results/large/fanned/metrics.json'))).toEqual(
        JSON.parse(await read('results/large/inline/metrics.json')),
      );
      const leftovers = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: String(partsPrefix) }));
      expect(leftovers.Contents ?? []).toEqual([]);
    });
  });
});
