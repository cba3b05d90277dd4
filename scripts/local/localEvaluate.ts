import type { Logger } from '@aws-lambda-powertools/logger';
import { createEvaluateHandler, type EvaluateLambda } from '#adapters/evaluation/evaluateHandler.ts';
import { aggregate } from '#adapters/evaluation/fanoutAggregate.ts';
import { processChunk } from '#adapters/evaluation/fanoutChunk.ts';
import { chunkEventSchema } from '#adapters/evaluation/fanoutContracts.ts';
import { recordFanoutFailure } from '#adapters/evaluation/fanoutFailure.ts';
import { runLocalFanout } from '#adapters/evaluation/localFanout.ts';
import type { ObjectStore } from '#adapters/s3/objectStore.ts';
import type { Classifier } from '#core/classifier.ts';
import type { FormulaCells } from '#core/csv/predictionsCsv.ts';
import type { EvidenceOptions } from '#core/pipeline/evaluateCsv.ts';

export interface LocalEvaluateOptions {
  store: ObjectStore;
  getClassifier: () => Promise<Classifier>;
  logger: Logger;
  evidence: EvidenceOptions;
  formulas?: FormulaCells;
  /** Rows above which an upload fans out through the local runner (undefined: never). */
  fanoutRowThreshold?: number;
  rowsPerItem?: number;
  /** Called each time a file is handed to the local fan-out runner. */
  onFanout?: () => void;
}

/**
 * The evaluate function as the local stack runs it: the deployed handler, with the local fan-out runner (the same
 * chunk and aggregate code as the Step Functions path) in place of the state machine. The event bridge's worker
 * and the in-process handler tests call directly are both built here.
 */
export function createLocalEvaluate(options: LocalEvaluateOptions): EvaluateLambda {
  const { store, getClassifier, logger, evidence, formulas } = options;
  return createEvaluateHandler({
    store,
    logger,
    getClassifier,
    evidence,
    ...(formulas ? { formulas } : {}),
    ...(options.fanoutRowThreshold !== undefined
      ? {
          fanout: {
            rowThreshold: options.fanoutRowThreshold,
            ...(options.rowsPerItem ? { rowsPerItem: options.rowsPerItem } : {}),
            start: async (input) => {
              options.onFanout?.();
              const outcome = await runLocalFanout(input, {
                store,
                chunk: async (event) =>
                  processChunk(chunkEventSchema.parse(event), store, await getClassifier(), {
                    evidence,
                    logger,
                    ...(formulas ? { formulas } : {}),
                  }),
                aggregate: async (event) => aggregate(event, store, (await getClassifier()).manifest),
                recordFailure: (event) => recordFanoutFailure(event, store),
                onRetry: (step, failure, attempt) => logger.warn('fan-out step retried', { step, attempt, ...failure }),
              });
              // On AWS the execution fails (FanoutFailed alarm) after its Catch wrote error.json.
              if (outcome.status === 'FAILED') logger.error('fan-out failed', { key: input.key, ...outcome.failure });
            },
          },
        }
      : {}),
  });
}
