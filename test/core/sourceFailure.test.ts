import { describe, expect, it } from 'vitest';
import { openCsv } from '#core/csv/csvReader.ts';
import { evaluateCsv } from '#core/pipeline/evaluateCsv.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { failingAfter } from '../support/failingSource.ts';
import { fakeClassifier } from '../support/fakeClassifier.ts';

/**
 * A source that fails mid-stream (a reset connection, a file replaced while read) must reach the caller as a
 * rejected promise: an 'error' event nobody listens to would end the whole process (vitest reports it as an
 * unhandled error and fails the run).
 */
const csv = syntheticCsv({ rows: 200, seed: 11 });

describe('a source that fails mid-stream', () => {
  it("rejects the reading of records with the source's error", async () => {
    const reader = await openCsv(failingAfter(csv.slice(0, csv.length / 2)));
    await expect(
      (async () => {
        for await (const _ of reader.records) void _;
      })(),
    ).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('rejects opening when it fails before the header is complete', async () => {
    await expect(openCsv(failingAfter('title,abs'))).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it("rejects the evaluation (the CLI's and the functions' pipeline) and writes no further rows", async () => {
    let written = 0;
    const evaluation = evaluateCsv(
      failingAfter(csv.slice(0, csv.length / 2)),
      fakeClassifier(),
      { write: () => void written++ },
      { batchSize: 1000 },
    );
    await expect(evaluation).rejects.toMatchObject({ code: 'ECONNRESET' });
    // Only the header: the partial batch is never classified and written.
    expect(written).toBe(1);
  });
});
