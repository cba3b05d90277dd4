/**
 * `npx tsx scripts/training-fingerprints.ts [--data <labelled.csv>] [--out <model dir>]`
 * Writes `training-fingerprints.bin` (layers/core/inSample.ts) into a model folder from the CSV the model was
 * trained on: the rows' texts read exactly as training reads them (openCsv + readLabelledRecords). Refuses a CSV
 * whose SHA-256 is not the one the folder's model.json records, so the file always describes that model.
 * The trainer writes the same file with the same function; this script fills it in for an existing folder.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import { InputError } from '#core/errors.ts';
import { FINGERPRINTS_FILE, trainingFingerprints } from '#core/inSample.ts';
import { readManifest } from '#core/manifest.ts';
import { trainingSha256 } from '#core/trainingData.ts';
import { EXIT, parseFlags, runCli } from './cli.ts';

const USAGE = 'usage: npx tsx scripts/training-fingerprints.ts [--data <labelled.csv>] [--out <model dir>]';
const DEFAULT_DATA = resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'challenge_train.csv');

export async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { data: { type: 'string' }, out: { type: 'string' } }, USAGE);
  const data = resolve(values.data ?? DEFAULT_DATA);
  const out = resolve(values.out ?? DEFAULT_MODEL_DIR);
  let raw: Buffer;
  try {
    raw = await readFile(data);
  } catch {
    throw new InputError('no_input', `cannot read training data ${data}`);
  }
  // Only model.json's record: the fingerprints file this script rewrites may be missing or damaged.
  const sha256 = trainingSha256(await readManifest(out));
  const actual = createHash('sha256').update(raw).digest('hex');
  if (sha256 !== undefined && sha256 !== actual)
    throw new InputError(
      'not_training_data',
      `${data} (sha256 ${actual}) is not the file the model in ${out} was trained on (sha256 ${sha256})`,
    );
  const csv = await openCsv(Readable.from([raw]));
  const { texts } = await readLabelledRecords(csv.records, csv.header);
  const bytes = trainingFingerprints(texts);
  await writeFile(join(out, FINGERPRINTS_FILE), bytes);
  process.stderr.write(
    `${texts.length} rows, ${(bytes.length - 8) / 8} distinct texts → ${join(out, FINGERPRINTS_FILE)} (${bytes.length} bytes)\n`,
  );
  return EXIT.ok;
}

runCli(import.meta.url, main);
