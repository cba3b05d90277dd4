import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import {
  FINGERPRINTS_FILE,
  fingerprint,
  IN_SAMPLE_SHARE,
  inSampleCheck,
  normalisedText,
  OverlapCounter,
  TrainingFingerprints,
  trainingFingerprints,
} from '#core/inSample.ts';
import { readTrainingData } from '#core/trainingData.ts';

/** FNV-1a 64 written the obvious way, with BigInt, to check the limb arithmetic against. */
function fnv1a64(bytes: Uint8Array): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return h;
}

describe('row fingerprints', () => {
  it('are FNV-1a 64 (the published test vectors) of the normalised text', () => {
    expect(fingerprint('')).toBe(0xcbf29ce484222325n);
    expect(fingerprint('a')).toBe(0xaf63dc4c8601ec8cn);
    expect(fingerprint('foobar')).toBe(0x85944171f73967e8n);
  });

  it('equal FNV-1a 64 of the UTF-8 bytes of normalisedText for any text, ASCII or not', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => {
        expect(fingerprint(text)).toBe(fnv1a64(new TextEncoder().encode(normalisedText(text))));
      }),
      { numRuns: 500 },
    );
  });

  it('match a re-saved copy of the same text: case, spaces, line ends and compatibility characters', () => {
    const text = 'Chest pain and elevated troponin in renal ﬁbrosis';
    expect(fingerprint('  CHEST pain\r\nand  elevated\ttroponin in renal fibrosis ')).toBe(fingerprint(text));
    expect(fingerprint('Chest pain and elevated troponin in renal fibrosis.')).not.toBe(fingerprint(text));
  });
});

describe('the training fingerprints file', () => {
  it('is 8 header bytes plus 8 per distinct text, the same bytes whatever the order of the rows', () => {
    const a = trainingFingerprints(['one', 'two', 'three', 'One ']);
    const b = trainingFingerprints(['three', 'one', 'two']);
    expect(a.length).toBe(8 + 3 * 8);
    expect(Buffer.from(a).subarray(0, 4).toString('latin1')).toBe('TFP1');
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('answers which fingerprints it holds', () => {
    const set = new TrainingFingerprints(trainingFingerprints(['alpha', 'beta', 'gamma']));
    expect(set.size).toBe(3);
    expect(['alpha', 'BETA', 'gamma', 'delta'].map((t) => set.has(fingerprint(t)))).toEqual([true, true, true, false]);
  });

  it('is refused when damaged (wrong magic or a length that does not match its count)', () => {
    const bytes = trainingFingerprints(['alpha', 'beta']);
    expect(() => new TrainingFingerprints(bytes.subarray(0, bytes.length - 1))).toThrow(/not a training-fingerprints/);
    expect(() => new TrainingFingerprints(new Uint8Array(16))).toThrow(/not a training-fingerprints/);
  });
});

describe('the in-sample verdict', () => {
  const training = {
    sha256: 'ab'.repeat(32),
    fingerprints: new TrainingFingerprints(trainingFingerprints(['a', 'b'])),
  };
  const counted = (texts: string[]) => {
    const counter = new OverlapCounter(training.fingerprints);
    for (const t of texts) counter.add(t);
    return counter.counts();
  };

  it('is in-sample for the training file itself (same SHA-256, any case)', () => {
    const check = inSampleCheck(training, { sha256: 'AB'.repeat(32), ...counted(['x']) });
    expect(check).toMatchObject({ sameFile: true, inSample: true });
    expect(check.message).toMatch(/^In-sample: this file is the model's training file/);
  });

  it(`is in-sample from ${IN_SAMPLE_SHARE * 100} % of rows found among the training rows, and only a note below`, () => {
    expect(inSampleCheck(training, counted(['a', 'b', 'c', 'd']))).toMatchObject({ inSample: true, matchedRows: 2 });
    expect(inSampleCheck(training, counted(['a', 'b', 'c', 'd'])).message).toContain('2 of 4 rows (50 %)');
    const below = inSampleCheck(training, counted(['a', 'c', 'd']));
    expect(below).toMatchObject({ inSample: false, matchedRows: 1 });
    expect(below.message).toMatch(/^1 of 3 rows \(33 %\) are training rows/);
    expect(inSampleCheck(training, counted(['c', 'd'])).message).toBe('');
  });

  it('falls back to the SHA-256 check alone for a model folder without fingerprints', () => {
    const counter = new OverlapCounter(undefined);
    for (const text of ['a', 'b', 'c', 'd']) counter.add(text);
    const check = inSampleCheck({ sha256: training.sha256 }, { sha256: 'cd'.repeat(32), ...counter.counts() });
    expect(check).toEqual({ sameFile: false, rows: 4, inSample: false, message: '' });
  });
});

describe('reading the training data of a model folder', () => {
  it('treats the fingerprints file as optional and reads the SHA-256 from the provenance', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cac-fp-'));
    try {
      const provenance = { data: { sha256: 'ef'.repeat(32) } };
      expect(await readTrainingData(dir, { provenance })).toEqual({ sha256: 'ef'.repeat(32) });
      await writeFile(join(dir, FINGERPRINTS_FILE), trainingFingerprints(['a']));
      expect((await readTrainingData(dir, {})).fingerprints?.size).toBe(1);
      await writeFile(join(dir, FINGERPRINTS_FILE), 'junk');
      await expect(readTrainingData(dir, {})).rejects.toThrow(/is damaged/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const SHARED_TRAIN = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'challenge_train.csv');
  it.skipIf(!existsSync(SHARED_TRAIN))(
    "is, for the embedded model, exactly trainingFingerprints of the shared training file's texts (what the trainer writes)",
    async () => {
      const csv = await openCsv(createReadStream(SHARED_TRAIN));
      const { texts } = await readLabelledRecords(csv.records, csv.header);
      const committed = await readFile(join(DEFAULT_MODEL_DIR, FINGERPRINTS_FILE));
      expect(Buffer.from(trainingFingerprints(texts)).equals(committed)).toBe(true);
      expect(new TrainingFingerprints(committed).size).toBe(2964);
    },
  );
});
