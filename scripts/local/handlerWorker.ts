/**
 * A worker thread of the local stack that runs one Lambda handler, the way its own function runs on AWS: `predict`
 * (POST /predict) or `evaluate` (upload events). Each has its own model, so a long request or a huge file keeps
 * only its own thread busy while the API thread goes on answering (/health, the page, the other handler).
 * Messages: `{ id, event, requestId }` in; `{ id, result }` or `{ id, error }` out; `{ type: 'ready' | 'failed' }`
 * once the model is loaded (or not); `{ type: 'fanout' }` each time a file is handed to the local fan-out runner.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createPredictHandler } from '#adapters/api/predictHandler.ts';
import { createLogger } from '#adapters/logger.ts';
import { memoizedClassifier } from '#adapters/modelProvider.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';
import { createLocalEvaluate } from './localEvaluate.ts';
import { describeError, type HandlerSetup, LOCAL_CREDENTIALS } from './workerProtocol.ts';

const setup = workerData as HandlerSetup;
const port = parentPort!;
const logger = createLogger({ serviceName: 'clinical-abstract-classifier-local', logLevel: setup.logLevel });
const getClassifier = memoizedClassifier(setup.modelDir);

type Handle = (event: unknown, requestId: string) => Promise<unknown>;

function handler(): Handle {
  if (setup.role === 'predict') {
    const predict = createPredictHandler({ getClassifier, limits: setup.limits, logger });
    return (event, requestId) => predict(event as APIGatewayProxyEventV2, { awsRequestId: requestId });
  }
  const s3 = new S3Client({
    endpoint: setup.s3Endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const evaluate = createLocalEvaluate({
    store: new ObjectStore(s3),
    getClassifier,
    logger,
    evidence: setup.evidence,
    ...(setup.formulas ? { formulas: setup.formulas } : {}),
    ...(setup.fanoutRowThreshold !== undefined ? { fanoutRowThreshold: setup.fanoutRowThreshold } : {}),
    ...(setup.rowsPerItem !== undefined ? { rowsPerItem: setup.rowsPerItem } : {}),
    onFanout: () => port.postMessage({ type: 'fanout' }),
  });
  return async (event) => {
    await evaluate(event);
    return null;
  };
}

const handle = handler();
getClassifier().then(
  (classifier) => port.postMessage({ type: 'ready', manifest: classifier.manifest }),
  (error: unknown) => port.postMessage({ type: 'failed', error: describeError(error) }),
);
port.on('message', (message: { id: number; event: unknown; requestId: string }) => {
  handle(message.event, message.requestId).then(
    (result) => port.postMessage({ id: message.id, result }),
    (error: unknown) => port.postMessage({ id: message.id, error: describeError(error) }),
  );
});
