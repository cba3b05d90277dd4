import { Logger } from '@aws-lambda-powertools/logger';
import type { RuntimeConfig } from './config.ts';

/**
 * Structured JSON logs (Powertools). Conventions: request id, route, rows and durationMs as keys; never an
 * abstract's text or a request body at INFO, so logs hold no patient-adjacent content.
 */
export function createLogger(config: Pick<RuntimeConfig, 'serviceName' | 'logLevel'>): Logger {
  return new Logger({ serviceName: config.serviceName, logLevel: config.logLevel as 'INFO' });
}
