import { InputError } from '#core/errors.ts';
import { tokenRefusal } from './accessToken.ts';
import { ApiError } from './api.ts';

/** Shown when /predict needs SigV4 (IAM), which a browser page cannot sign. */
export const SIGNED_MESSAGE =
  'This deployment requires AWS SigV4-signed requests for POST /predict (IAM authorization), which a browser page cannot make. ' +
  'Call /predict with signed requests instead (for example with the AWS CLI or an SDK); the API docs describe the request.';

/** A failure in words a person can act on. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return tokenRefusal() ?? SIGNED_MESSAGE;
  if (error instanceof ApiError && error.status === 403) return SIGNED_MESSAGE;
  if (error instanceof ApiError) return `${error.message} (${error.code}, HTTP ${error.status})`;
  if (error instanceof InputError) return error.message;
  return `The request failed: ${error instanceof Error ? error.message : String(error)}`;
}
