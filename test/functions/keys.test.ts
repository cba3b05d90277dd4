import { describe, expect, it } from 'vitest';
import { fanoutPrefixFor, isIncomingCsv, MAX_KEY_BYTES, resultPrefixFor } from '#adapters/evaluation/keys.ts';

describe('where the results of an upload go', () => {
  it('drops a lower-case .csv and keeps any other spelling, so x.csv and x.CSV never share a folder', () => {
    expect(resultPrefixFor('incoming/a/x.csv')).toBe('results/a/x/');
    expect(resultPrefixFor('incoming/a/x.CSV')).toBe('results/a/x.CSV/');
  });

  it('keeps the extension when dropping it would leave a name that another upload maps to', () => {
    expect(resultPrefixFor('incoming/x.CSV.csv')).toBe('results/x.CSV.csv/');
    expect(resultPrefixFor('incoming/x.csv.csv')).toBe('results/x.csv.csv/');
    const keys = [
      'incoming/x.csv',
      'incoming/x.CSV',
      'incoming/x.CSV.csv',
      'incoming/x.csv.csv',
      'incoming/x.csv.CSV',
      'incoming/x.CSV.CSV',
    ];
    expect(new Set(keys.map(resultPrefixFor)).size).toBe(keys.length);
  });

  it("keeps every result and fan-out key of the longest upload key within S3's 1,024 bytes, distinct per key", () => {
    const longest = (last: string): string => `incoming/${'é'.repeat(500)}${last}.csv`;
    const a = longest('a');
    const b = longest('b');
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(MAX_KEY_BYTES);
    for (const key of [a, b]) {
      expect(Buffer.byteLength(`${resultPrefixFor(key)}predictions.csv`)).toBeLessThanOrEqual(MAX_KEY_BYTES);
      expect(Buffer.byteLength(`${fanoutPrefixFor(key)}${'0'.repeat(16)}/part-000000.json`)).toBeLessThanOrEqual(
        MAX_KEY_BYTES,
      );
      expect(resultPrefixFor(key)).toMatch(/~[0-9a-f]{16}\/$/);
    }
    expect(resultPrefixFor(a)).not.toBe(resultPrefixFor(b));
  });

  it('picks up exactly the spellings the notification filters deliver', () => {
    expect(['incoming/x.csv', 'incoming/x.CSV', 'incoming/x.Csv', 'incoming/x.cSV'].filter(isIncomingCsv)).toEqual([
      'incoming/x.csv',
      'incoming/x.CSV',
    ]);
  });
});
