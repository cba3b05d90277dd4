import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import type { RuntimeConfig } from './config.ts';

/**
 * Structured JSON logs (Powertools). Conventions: request id, route, rows and durationMs as keys; never an
 * abstract's text or a request body at INFO, so logs hold no patient-adjacent content.
 */
export function createLogger(config: Pick<RuntimeConfig, 'serviceName' | 'logLevel'>): Logger {
  return new Logger({ serviceName: config.serviceName, logLevel: config.logLevel as 'INFO' });
}

/**
 * Wraps a handler the way Powertools' `injectLambdaContext({ resetKeys: true })` does (that one needs a class method
 * or middy): every log line of an invocation carries cold_start, function_name, function_version and
 * function_request_id, and keys a handler appends for one request are gone when it returns, so none leaks into the
 * next invocation of the same container. Callers without a Lambda context (the local stack) pass none.
 */
export function withLambdaContext<Event, Result>(
  logger: Logger,
  handler: (event: Event, context?: Partial<Context>) => Promise<Result>,
): (event: Event, context?: Partial<Context>) => Promise<Result> {
  return async (event, context) => {
    logger.addContext((context ?? {}) as Context);
    // Powertools' format carries the function's ARN but not its version (an unqualified ARN names none).
    if (context?.functionVersion) logger.appendKeys({ function_version: context.functionVersion });
    try {
      return await handler(event, context);
    } finally {
      logger.resetKeys();
    }
  };
}
