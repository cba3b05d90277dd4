/**
 * The whole service on one machine: the API handlers behind an HTTP server, and an S3-compatible server whose
 * object-created events invoke the evaluate handler with the event S3 would send. This is `npm start`'s
 * composition root, and the integration tests start it on random ports.
 */
import { isUtf8 } from 'node:buffer';
import { mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import S3rver from 's3rver';
import { createInfoHandler } from '#adapters/api/infoHandler.ts';
import type { ApiHandler } from '#adapters/api/predictHandler.ts';
import { type ApiAuth, CATCH_ALL_FUNCTION, gatewayRouteFor, type RouteFunction } from '#adapters/api/routes.ts';
import { memoizedWebSite } from '#adapters/api/webSite.ts';
import { type ApiLimits, DEFAULT_EVIDENCE, DEFAULT_LIMITS } from '#adapters/config.ts';
import { DEV_SERVER_DEFAULTS } from '#adapters/devServerConfig.ts';
import type { EvaluateLambda } from '#adapters/evaluation/evaluateHandler.ts';
import { decodeEventKey, encodeEventKey, FANOUT_PREFIX, matchesUploadFilters } from '#adapters/evaluation/keys.ts';
import { errorResponse, type HttpResult } from '#adapters/http.ts';
import { createLogger } from '#adapters/logger.ts';
import { memoizedClassifier, memoizedManifest, memoizedTrainingFingerprints } from '#adapters/modelProvider.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';
import type { FormulaCells } from '#core/csv/predictionsCsv.ts';
import type { ModelManifest } from '#core/manifest.ts';
import type { EvidenceOptions } from '#core/pipeline/evaluateCsv.ts';
import { buildWebAssets } from '#web/build.ts';
import { AtomicFilesystemStore } from './atomicStore.ts';
import { EventBridge } from './eventBridge.ts';
import { EventJournal } from './eventJournal.ts';
import type { JwtAuthorizer } from './jwtAuthorizer.ts';
import { createLocalEvaluate } from './localEvaluate.ts';
import { HandlerThread, LOCAL_CREDENTIALS } from './workerProtocol.ts';

export interface LocalStackOptions {
  host?: string;
  port?: number;
  s3Port?: number;
  bucket?: string;
  /** Where the local S3 server keeps its objects. */
  dataDir: string;
  modelDir?: string;
  limits?: ApiLimits;
  /** Rows above which an upload fans out through the local runner (default: never). */
  fanoutRowThreshold?: number;
  rowsPerItem?: number;
  logLevel?: string;
  /** Evidence in the S3 results (default: the deployed functions' default). */
  evidence?: EvidenceOptions;
  /** Formula-like input cells in predictions.csv (default: neutralised, as deployed). */
  formulas?: FormulaCells;
  /**
   * Replace the S3 client the evaluate, chunk and aggregate handlers use (tests inject failures or S3's answers
   * this way); a function gets the local server's endpoint.
   */
  evaluateS3Client?: S3Client | ((s3Endpoint: string) => S3Client);
  /**
   * How /predict is protected (default none). `jwt` needs `authorizeJwt`, which runs before the handler as API
   * Gateway's authorizer does; `iam` only changes the page and the docs (the local API never checks signatures).
   */
  auth?: ApiAuth;
  authorizeJwt?: JwtAuthorizer;
  /**
   * Longest a client may take to send a whole request, headers included (default 10 s). A client that promises a
   * longer body than it sends gets 408 and a closed connection instead of a socket held open for Node's 5 minutes.
   */
  requestTimeoutMs?: number;
  /** Delay before a failed upload event is delivered again (default 1 s; doubled for each further retry). */
  eventRetryDelayMs?: number;
}

export interface LocalStack {
  apiUrl: string;
  s3Endpoint: string;
  bucket: string;
  s3: S3Client;
  /** The evaluate handler as wired to the local bucket (tests deliver events to it directly). */
  evaluate: EvaluateLambda;
  /** Resolves when every upload event received so far has an outcome (evaluated, superseded, dead-lettered). */
  idle(): Promise<void>;
  /** Errors of failed deliveries of upload events, each attempt (they are retried, then dead-lettered). */
  failures: unknown[];
  /** Files handed to the local fan-out runner so far. */
  readonly fanouts: number;
  /** Waits until the handlers' workers have loaded the model and returns its manifest; throws if it cannot be loaded. */
  ready(): Promise<ModelManifest>;
  /** Builds the web page and docs (esbuild, once; otherwise on the first request for them); throws on a build error. */
  webReady(): Promise<void>;
  stop(): Promise<void>;
}

/** The journal of upload events and the dead-letter file, beside the buckets in DATA_DIR (files: never buckets). */
export const EVENT_JOURNAL = '.upload-events.jsonl';
export const DEAD_LETTERS = '.upload-events.dead-letter.jsonl';

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const host = options.host ?? '127.0.0.1';
  const bucket = options.bucket ?? DEV_SERVER_DEFAULTS.bucket;
  const logLevel = options.logLevel ?? 'WARN';
  const logger = createLogger({ serviceName: 'clinical-abstract-classifier-local', logLevel });
  const limits = options.limits ?? DEFAULT_LIMITS;
  const evidence = options.evidence ?? DEFAULT_EVIDENCE;
  const { dataDir } = options;
  const auth = options.auth ?? 'none';
  if (auth === 'jwt' && !options.authorizeJwt) throw new Error('auth jwt needs a JWT authorizer (authorizeJwt)');

  // What a killed run left half-done: temporary upload files, multipart uploads no client can resume, fan-out
  // work (the journal delivers the unfinished events again, and their runs start over).
  await mkdir(dataDir, { recursive: true });
  const objects = new AtomicFilesystemStore(dataDir);
  await objects.removeLeftovers(bucket);
  await rm(join(objects.getBucketPath(bucket), FANOUT_PREFIX), { recursive: true, force: true });

  const s3rver = new S3rver({
    address: host,
    port: options.s3Port ?? DEV_SERVER_DEFAULTS.s3Port,
    silent: true,
    directory: dataDir,
    configureBuckets: [{ name: bucket }],
    vhostBuckets: false,
  });
  s3rver.store = s3rver.context.store = objects;
  const s3Address = await s3rver.run();
  const s3Endpoint = `http://${host}:${s3Address.port}`;
  const s3 = new S3Client({
    endpoint: s3Endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const handlerS3 =
    typeof options.evaluateS3Client === 'function' ? options.evaluateS3Client(s3Endpoint) : options.evaluateS3Client;

  // Handlers that tests call directly (and the events, when a test injects S3 answers) run on this thread.
  const loadOnce = memoizedClassifier(options.modelDir);
  let loaded = false;
  const getClassifier = () => {
    loaded = true;
    return loadOnce();
  };
  let fanouts = 0;
  const countFanout = () => {
    fanouts++;
  };
  // The evaluation settings, the same on this thread and in the worker.
  const evaluation = {
    evidence,
    ...(options.formulas ? { formulas: options.formulas } : {}),
    ...(options.fanoutRowThreshold !== undefined ? { fanoutRowThreshold: options.fanoutRowThreshold } : {}),
    ...(options.rowsPerItem !== undefined ? { rowsPerItem: options.rowsPerItem } : {}),
  };
  const evaluate = createLocalEvaluate({
    store: new ObjectStore(handlerS3 ?? s3),
    getClassifier,
    logger,
    ...evaluation,
    onFanout: countFanout,
  });

  // POST /predict and the upload events each run in a worker thread with its own model, as they run in their own
  // functions on AWS: a long request or a huge file never holds up this thread (/health, the page, the docs).
  const setup = { modelDir: options.modelDir, logLevel, limits, s3Endpoint, ...evaluation };
  const predictThread = new HandlerThread({ ...setup, role: 'predict' });
  const evaluateThread = handlerS3 ? undefined : new HandlerThread({ ...setup, role: 'evaluate' }, countFanout);
  const predict: ApiHandler = async (event, context) => {
    const requestId = context?.awsRequestId ?? 'local';
    try {
      return (await predictThread.call(event, requestId)) as HttpResult;
    } catch (error) {
      return errorResponse(error, requestId, logger);
    }
  };

  // Built from layers/web on first use, in memory: `npm start` always serves the current sources.
  const getWebSite = memoizedWebSite(buildWebAssets, { auth });
  const info = createInfoHandler({
    getManifest: memoizedManifest(options.modelDir),
    limits,
    logger,
    getWebSite,
    auth,
    getTrainingFingerprints: memoizedTrainingFingerprints(options.modelDir),
  });
  const gateway: Gateway = { handlers: { predict, health: info }, limits, auth, authorizeJwt: options.authorizeJwt };

  const bridge = new EventBridge({
    journal: EventJournal.open(join(dataDir, EVENT_JOURNAL)),
    deadLetterFile: join(dataDir, DEAD_LETTERS),
    logger,
    ...(options.eventRetryDelayMs !== undefined ? { retryDelayMs: options.eventRetryDelayMs } : {}),
    deliver: async (event) => {
      if (evaluateThread) await evaluateThread.call(event, 'local-event');
      else await evaluate(event);
    },
  });
  s3rver.on('event', (event: unknown) => {
    for (const record of uploadRecords(event))
      bridge.announce(record.s3.bucket.name, decodeEventKey(record.s3.object.key), { Records: [record] });
  });
  bridge.start();

  const requestTimeout = options.requestTimeoutMs ?? 10_000;
  const timeouts = {
    requestTimeout,
    headersTimeout: requestTimeout,
    connectionsCheckingInterval: Math.min(1_000, requestTimeout),
  };
  const server = createServer(timeouts, (req, res) => {
    serve(req, gateway).then(
      ({ statusCode, headers, body, isBase64Encoded }) => {
        res.writeHead(statusCode, headers);
        res.end(isBase64Encoded ? Buffer.from(body, 'base64') : body);
      },
      (error: unknown) => {
        // The handlers never throw; what fails here is the connection itself (a client that went away mid-body).
        logger.info('request aborted by the client', { error: error instanceof Error ? error.message : String(error) });
        if (!res.headersSent && !res.destroyed)
          res
            .writeHead(400, { 'content-type': 'application/json', 'x-content-type-options': 'nosniff' })
            .end('{"error":{"code":"aborted","message":"the request was aborted"}}');
        else res.destroy();
      },
    );
  });
  const port = await listen(server, options.port ?? DEV_SERVER_DEFAULTS.port, host);
  const apiUrl = `http://${host}:${port}`;

  return {
    apiUrl,
    s3Endpoint,
    bucket,
    s3,
    evaluate,
    failures: bridge.failures,
    get fanouts() {
      return fanouts;
    },
    ready: async () => {
      const [manifest] = await Promise.all([predictThread.ready(), evaluateThread?.ready()]);
      return manifest;
    },
    webReady: async () => {
      await getWebSite();
    },
    idle: () => bridge.idle(),
    async stop() {
      // close() only ends idle connections and then waits for the rest; a browser's connection with a request
      // still arriving would hold stop() for as long as the browser keeps it, so every connection is ended now.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      // An evaluation in a worker is ended with it: its event stays in the journal for the next start.
      const bridgeStopped = bridge.stop();
      await Promise.all([predictThread.stop(), evaluateThread?.stop()]);
      await bridgeStopped;
      await s3rver.close();
      s3.destroy();
      if (loaded) await (await loadOnce().catch(() => undefined))?.dispose();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/** Reads a request body, giving up past a cap well above the API's limit (the handler answers 413). */
async function readBody(req: IncomingMessage, cap: number): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Past the cap, keep draining (the client is still sending) but stop keeping bytes.
    if (size <= cap) chunks.push(chunk as Buffer);
  }
  return size > cap ? { body: Buffer.alloc(0), truncated: true } : { body: Buffer.concat(chunks), truncated: false };
}

/** What stands in for API Gateway: the routes' functions, the authorizer and the request limits. */
interface Gateway {
  handlers: Record<RouteFunction, ApiHandler>;
  limits: ApiLimits;
  auth: ApiAuth;
  authorizeJwt: JwtAuthorizer | undefined;
}

/** API Gateway's own answer when an authorizer refuses a request; no function runs. */
const UNAUTHORIZED = {
  statusCode: 401,
  headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer', 'x-content-type-options': 'nosniff' },
  body: '{"message":"Unauthorized"}',
  isBase64Encoded: false,
};

/** HTTP request → API Gateway HTTP API (payload 2.0) event → (authorizer →) handler → HTTP response. */
async function serve(req: IncomingMessage, { handlers, limits, auth, authorizeJwt }: Gateway) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  const sourceIp = req.socket.remoteAddress ?? '127.0.0.1';
  const { body, truncated } = await readBody(req, limits.maxBodyBytes + 1);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  // The routes the stack deploys (layers/adapters/api/routes.ts); anything else is API Gateway's $default route.
  const matched = gatewayRouteFor(method, url.pathname);
  if (auth === 'jwt' && matched?.protected && !(await authorizeJwt!(headers.authorization))) return UNAUTHORIZED;
  const requestId = `local-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const route = matched ? `${method} ${matched.path}` : '$default';
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId,
      routeKey: route,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    // Past the cap the body is replaced by one just over the limit, so the handler answers 413 itself. Bytes that
    // are not UTF-8 arrive base64-encoded, as API Gateway hands them over, so the handler can name the bad byte.
    ...(truncated
      ? { body: ' '.repeat(limits.maxBodyBytes + 1), isBase64Encoded: false }
      : body.length === 0
        ? { isBase64Encoded: false }
        : isUtf8(body)
          ? { body: body.toString('utf8'), isBase64Encoded: false }
          : { body: body.toString('base64'), isBase64Encoded: true }),
  };
  return handlers[matched?.function ?? CATCH_ALL_FUNCTION](event, { awsRequestId: requestId });
}

/**
 * s3rver's notification → the event S3 sends to Lambda: keys URL-encoded as S3 encodes them (s3rver does not),
 * a well-formed bucket ARN, and S3's name for a completed multipart upload.
 */
function uploadRecords(event: unknown): LambdaS3Record[] {
  const records = (event as { Records?: Record<string, unknown>[] }).Records;
  if (!Array.isArray(records)) return [];
  // Exactly the notification filters the stack deploys: S3 sends nothing for `incoming/x.Csv` or `x.txt`.
  const created = records.filter(
    (r) =>
      typeof r.eventName === 'string' &&
      r.eventName.startsWith('ObjectCreated:') &&
      matchesUploadFilters((r.s3 as { object: { key: string } }).object.key),
  );
  return created.map((record) => {
    const s3 = record.s3 as {
      bucket: { name: string };
      object: { key: string; size?: number; eTag?: string; sequencer?: string };
    };
    const source =
      (record.requestParameters as { sourceIPAddress?: string } | undefined)?.sourceIPAddress ?? '127.0.0.1';
    return {
      ...record,
      eventName: record.eventName === 'ObjectCreated:Post' ? 'ObjectCreated:CompleteMultipartUpload' : record.eventName,
      requestParameters: { sourceIPAddress: source.replace(/^::ffff:/, '').replace(/^::1$/, '127.0.0.1') },
      s3: {
        ...s3,
        bucket: { ...s3.bucket, arn: `arn:aws:s3:::${s3.bucket.name}` },
        object: { ...s3.object, key: encodeEventKey(s3.object.key) },
      },
    };
  });
}

type LambdaS3Record = Record<string, unknown> & {
  s3: { bucket: { name: string; arn: string }; object: { key: string; size?: number; eTag?: string } };
};
