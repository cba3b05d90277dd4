import { createHash } from 'node:crypto';
import { openCsv } from '#core/csv/csvReader.ts';
import type { ObjectStore } from '../s3/objectStore.ts';
import { chunkBatchInput, type FanoutInput, type RangeItem } from './fanoutContracts.ts';
import { fanoutPrefixFor, resultPrefixFor } from './keys.ts';
import { type AnnouncedObject, checkedBody } from './uploadedObject.ts';

/** How to evaluate one upload: inline (pinned to the version that was counted) or through the fan-out. */
export type EvaluationPlan = { kind: 'inline'; etag: string | undefined } | { kind: 'fanout'; input: FanoutInput };

/**
 * Scans the file once (header, records, byte offsets). At most `rowThreshold` rows: evaluate inline, reading the
 * same version (ETag). More: write the range list and return the state machine's input. A malformed file throws the
 * same InputError the inline path would.
 *
 * Each run keeps its parts in a folder of its own, named from the object's ETag and the event's version token
 * (S3 versionId or sequencer): a redelivered event plans the same run (same range list, same execution name, its
 * parts untouched), a new upload of the key gets a new run, and no run can delete another's parts.
 */
export async function planEvaluation(
  store: ObjectStore,
  ref: { bucket: string; key: string; version?: string | undefined } & AnnouncedObject,
  rowThreshold: number,
  rowsPerItem = 1000,
): Promise<EvaluationPlan> {
  const { bucket, key } = ref;
  const object = await store.open(bucket, key);
  const csv = await openCsv(checkedBody(bucket, key, object, ref));
  const items: RangeItem[] = [];
  let rows = 0;
  let current: RangeItem | undefined;
  let start = csv.headerEndByte;
  let firstLine = csv.headerNextLine;
  for await (const record of csv.records) {
    current ??= { index: items.length, start, end: start, firstLine, firstRow: rows, rows: 0 };
    current.rows++;
    current.end = record.endByte;
    rows++;
    if (current.rows === rowsPerItem) {
      items.push(current);
      current = undefined;
      start = record.endByte;
      firstLine = record.nextLine;
    }
  }
  if (current) items.push(current);
  if (rows <= rowThreshold) return { kind: 'inline', etag: object.etag };
  if (!object.etag)
    throw new Error(`s3://${bucket}/${key} came without an ETag; byte ranges cannot be pinned to a version`);
  const run = createHash('sha256')
    .update(`${object.etag}|${ref.version ?? ''}`)
    .digest('hex')
    .slice(0, 16);
  const resultPrefix = resultPrefixFor(key);
  const partsPrefix = `${fanoutPrefixFor(key)}${run}/`;
  const rangesKey = `${partsPrefix}ranges.json`;
  const input: FanoutInput = {
    bucket,
    key,
    rangesKey,
    partsPrefix,
    resultPrefix,
    columns: csv.header.columns,
    delimiter: csv.header.delimiter,
    etag: object.etag,
    rows,
    items: items.length,
    blankLines: csv.blankLines,
  };
  // Each item carries its run: what a chunk invocation needs arrives as data (fanoutContracts.ts, runItemSchema).
  const context = chunkBatchInput(input);
  await store.putText(
    bucket,
    rangesKey,
    JSON.stringify(items.map((item) => ({ ...item, run: context }))),
    'application/json',
  );
  return { kind: 'fanout', input };
}
