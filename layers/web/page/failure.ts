import { InputError } from '#core/errors.ts';
import { tokenRefusal } from './accessToken.ts';
import { ApiError } from './api.ts';

/** Shown when /predict needs SigV4 (IAM), which a browser page cannot sign. */
export const SIGNED_MESSAGE =
  'This deployment requires AWS SigV4-signed requests for POST /predict (IAM authorization), which a browser page cannot make. ' +
  'Call /predict with signed requests instead (for example with the AWS CLI or an SDK); the API docs describe the request.';

/** The API's details shown with a failure at most (a request of 64 texts may have 64 problems). */
const MAX_DETAILS_SHOWN = 5;

/** A failure in words a person can act on. */
export function describeFailure(error: unknown): string {
  if (error instanceof ApiError && error.status === 401) return tokenRefusal() ?? SIGNED_MESSAGE;
  if (error instanceof ApiError && error.status === 403) return SIGNED_MESSAGE;
  if (error instanceof ApiError) {
    // The API says what is wrong in `details` ("$.texts[0] must be at most 20000 characters …"): the summary alone
    // ("the request body does not match the schema (1 problem)") would leave the user guessing.
    const listed = error.details
      .slice(0, MAX_DETAILS_SHOWN)
      .map((d) => (d.path ? `${d.path} ${d.message}` : d.message));
    const more = error.details.length - listed.length;
    const said = listed.length ? `: ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}` : '';
    return `${error.message}${said} (${error.code}, HTTP ${error.status})`;
  }
  if (error instanceof InputError) return error.message;
  return `The request failed: ${error instanceof Error ? error.message : String(error)}`;
}
