/**
 * The S3 layout: uploads under `incoming/<path>.csv`, results under `results/<path>/`. Functions never write
 * under `incoming/`, so a result can never trigger another run.
 */
export const INCOMING_PREFIX = 'incoming/';
export const RESULTS_PREFIX = 'results/';
export const PARTS_FOLDER = '.parts/';

/** S3 event keys are URL-encoded with `+` for spaces (form encoding); decode them exactly once. */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** Encodes a key the way S3 puts it into event notifications (for the local bridge that lacks it). */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

export function isIncomingCsv(key: string): boolean {
  return key.startsWith(INCOMING_PREFIX) && key.toLowerCase().endsWith('.csv') && key.length > INCOMING_PREFIX.length + 4;
}

/** `incoming/a/b.csv` → `results/a/b/`. */
export function resultPrefixFor(key: string): string {
  return `${RESULTS_PREFIX}${key.slice(INCOMING_PREFIX.length, -'.csv'.length)}/`;
}

export const partsPrefixFor = (resultPrefix: string): string => `${resultPrefix}${PARTS_FOLDER}`;

/** The file name users see in reports: the path under `incoming/`. */
export const sourceNameFor = (key: string): string => key.slice(INCOMING_PREFIX.length);
