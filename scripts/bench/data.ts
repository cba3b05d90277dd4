import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { syntheticCsv } from '../fixtures/csvFixtures.ts';

/** The shared training data when this checkout sits next to it, else synthetic rows (said so in the output). */
export const SHARED_TRAIN_CSV = fileURLToPath(new URL('../../../shared/data/challenge_train.csv', import.meta.url));

export async function benchCsv(): Promise<{ csv: string; source: string }> {
  if (existsSync(SHARED_TRAIN_CSV))
    return { csv: await readFile(SHARED_TRAIN_CSV, 'utf8'), source: '../shared/data/challenge_train.csv' };
  return {
    csv: syntheticCsv({ rows: 3000, seed: 1, delimiter: ';' }),
    source: 'synthetic (../shared/data/challenge_train.csv not found)',
  };
}

/** A CSV of `rows` data rows made by repeating the data rows of `csv` (header kept once). */
export function repeatRows(csv: string, rows: number): string {
  const newline = csv.indexOf('\n');
  const header = csv.slice(0, newline + 1);
  // Records may span lines, so repeat whole records via a parse-free trick: the body as a unit.
  const body = csv.slice(newline + 1).replace(/\n?$/, '\n');
  const bodyRows = countRecords(body);
  const parts: string[] = [header];
  let have = 0;
  while (have + bodyRows <= rows) {
    parts.push(body);
    have += bodyRows;
  }
  if (have < rows) parts.push(firstRecords(body, rows - have));
  return parts.join('');
}

function recordEnds(body: string): number[] {
  const ends: number[] = [];
  let quoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\n' && !quoted) ends.push(i + 1);
  }
  return ends;
}
const countRecords = (body: string): number => recordEnds(body).length;
const firstRecords = (body: string, n: number): string => body.slice(0, recordEnds(body)[n - 1]);
