/** Lambda entry point for S3 ObjectCreated events (direct or through SQS): the evaluate function's composition root. */

import { SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig } from '#adapters/config.ts';
import { createEvaluateHandler } from '#adapters/evaluation/evaluateHandler.ts';
import { stateMachineStarter } from '#adapters/evaluation/stateMachine.ts';
import { createLogger, withLambdaContext } from '#adapters/logger.ts';
import { memoizedClassifier } from '#adapters/modelProvider.ts';
import { createS3Client } from '#adapters/s3/client.ts';
import { ObjectStore } from '#adapters/s3/objectStore.ts';

const config = loadConfig();
const logger = createLogger(config);
const store = new ObjectStore(createS3Client(config));
const { rowThreshold, stateMachineArn } = config.fanout;

export const handler = withLambdaContext(
  logger,
  createEvaluateHandler({
    store,
    logger,
    getClassifier: memoizedClassifier(config.modelDir),
    evidence: config.evidence,
    formulas: config.formulas,
    ...(stateMachineArn
      ? { fanout: { rowThreshold, start: stateMachineStarter(new SFNClient({}), stateMachineArn) } }
      : {}),
  }),
);
