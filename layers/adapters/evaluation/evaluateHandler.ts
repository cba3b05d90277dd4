import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { type EvaluateDeps, evaluateObject } from './evaluateObject.ts';
import { parseEvaluateEvent } from './s3Events.ts';

export type EvaluateLambda = (event: unknown, context?: Partial<Context>) => Promise<SQSBatchResponse | undefined>;

/**
 * S3 events: any transient failure throws so Lambda retries the whole event (results are idempotent).
 * SQS batches: each message succeeds or is reported in `batchItemFailures`, so only failed messages come back
 * (and, after maxReceiveCount, land in the dead-letter queue).
 */
export function createEvaluateHandler(deps: EvaluateDeps & { logger: Logger }): EvaluateLambda {
  const { logger } = deps;
  return async (event, context) => {
    if (context?.awsRequestId) logger.appendKeys({ requestId: context.awsRequestId });
    const parsed = parseEvaluateEvent(event);
    if (parsed.kind === 's3') {
      for (const { bucket, key, version, ...announced } of parsed.objects)
        await evaluateObject(bucket, key, deps, version, announced);
      return;
    }
    const batchItemFailures: { itemIdentifier: string }[] = [];
    for (const message of parsed.messages) {
      if (!message.objects) {
        logger.error('unreadable message; it will reach the dead-letter queue', {
          messageId: message.messageId,
          problem: message.problem,
        });
        batchItemFailures.push({ itemIdentifier: message.messageId });
        continue;
      }
      try {
        for (const { bucket, key, version, ...announced } of message.objects)
          await evaluateObject(bucket, key, deps, version, announced);
      } catch (error) {
        logger.error('evaluation failed; the message will be retried', {
          messageId: message.messageId,
          error: error as Error,
        });
        batchItemFailures.push({ itemIdentifier: message.messageId });
      }
    }
    return { batchItemFailures };
  };
}
