import { createHash } from 'node:crypto';

/**
 * The S3 layout: uploads under `incoming/<path>.csv`, results under `results/<path>/`, the fan-out's work files
 * (range list, parts) under `fanout/<path>/<run>/`. Functions never write under `incoming/`, so a result can never
 * trigger another run.
 */
export const INCOMING_PREFIX = 'incoming/';
export const RESULTS_PREFIX = 'results/';
/** Its own top-level prefix so that one lifecycle rule can expire what an abandoned run leaves behind. */
export const FANOUT_PREFIX = 'fanout/';

/**
 * The S3 notification filters the stack deploys and the local stack applies. S3 compares suffixes
 * case-sensitively, so each spelling that should trigger a run is listed; `x.Csv` triggers nothing, on AWS or locally.
 */
export const UPLOAD_FILTERS = [
  { prefix: INCOMING_PREFIX, suffix: '.csv' },
  { prefix: INCOMING_PREFIX, suffix: '.CSV' },
] as const;

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

/** S3 event keys are URL-encoded with `+` for spaces (form encoding); decode them exactly once. */
export function decodeEventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** Encodes a key the way S3 puts it into event notifications (for the local bridge that lacks it). */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** Whether S3 sends an event for this key under the deployed filters (prefix and suffix, case-sensitive). */
export function matchesUploadFilters(key: string): boolean {
  return UPLOAD_FILTERS.some((f) => key.startsWith(f.prefix) && key.endsWith(f.suffix));
}

/** An upload to evaluate: one S3 notifies about, with a file name before the extension. */
export function isIncomingCsv(key: string): boolean {
  return matchesUploadFilters(key) && key.length > INCOMING_PREFIX.length + '.csv'.length;
}

// Budgets for the folder name, so that every key written below it stays within MAX_KEY_BYTES:
// the longest result file is `predictions.csv`; the longest fan-out key is `<run 16 hex>/part-000000.json`.
const LONGEST_RESULT_NAME = 'predictions.csv';
const LONGEST_FANOUT_NAME = `${'0'.repeat(16)}/part-000000.json`;
const FOLDER_BUDGET =
  MAX_KEY_BYTES -
  Math.max(
    RESULTS_PREFIX.length + 1 + LONGEST_RESULT_NAME.length,
    FANOUT_PREFIX.length + 1 + LONGEST_FANOUT_NAME.length,
  );
const HASH_SUFFIX_BYTES = 17; // '~' + 16 hex digits
/** Folder names up to this length are used as they are; longer ones are shortened to more than this. */
const PLAIN_FOLDER_MAX = FOLDER_BUDGET - HASH_SUFFIX_BYTES;

/**
 * The folder (under `results/` and `fanout/`) of an upload, one-to-one, so that two uploads never share results:
 * - `incoming/a/b.csv` → `a/b`: the path without `.csv`;
 * - any other spelling of the extension keeps it: `incoming/a/b.CSV` → `a/b.CSV`;
 * - so does a name that would otherwise still end in a CSV extension: `incoming/b.CSV.csv` → `b.CSV.csv`
 *   (the first rule would give `b.CSV`, which is the second rule's answer for `incoming/b.CSV`).
 * Names of the first kind never end in a CSV extension, names of the other kinds always do: no two keys meet.
 * A folder that would push a result key past S3's 1,024 bytes is cut at a character boundary and ends in
 * `~` + 16 hex digits of the key's SHA-256; shortened names are longer than any name used as it is, so they
 * cannot meet one either.
 */
export function folderFor(key: string): string {
  const path = key.slice(INCOMING_PREFIX.length);
  const stem = path.slice(0, -'.csv'.length);
  const plain = path.endsWith('.csv') && !/\.csv$/i.test(stem) ? stem : path;
  if (Buffer.byteLength(plain) <= PLAIN_FOLDER_MAX) return plain;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${truncateUtf8(plain, PLAIN_FOLDER_MAX)}~${hash}`;
}

/** `incoming/a/b.csv` → `results/a/b/` (see folderFor). */
export const resultPrefixFor = (key: string): string => `${RESULTS_PREFIX}${folderFor(key)}/`;

/** Where the fan-out runs of an upload keep their range list and parts: `fanout/<folder>/`. */
export const fanoutPrefixFor = (key: string): string => `${FANOUT_PREFIX}${folderFor(key)}/`;

/** The file name users see in reports: the path under `incoming/`. */
export const sourceNameFor = (key: string): string => key.slice(INCOMING_PREFIX.length);

/** The longest prefix of `text` that fits in `maxBytes` of UTF-8 without splitting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (bytes + size > maxBytes) break;
    bytes += size;
    end += char.length;
  }
  return text.slice(0, end);
}
