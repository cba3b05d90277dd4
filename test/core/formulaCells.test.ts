import { createReadStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '#adapters/config.ts';
import { openCsv } from '#core/csv/csvReader.ts';
import { neutraliseFormula } from '#core/csv/predictionsCsv.ts';
import { ConfigError } from '#core/errors.ts';
import { EXIT, UsageError } from '../../scripts/cli.ts';
import { main } from '../../scripts/evaluate.ts';

/**
 * Formula-like input cells are neutralised in predictions.csv by default; the switch is `--csv-formulas` (CLI) and
 * `CSV_FORMULAS` (functions, npm start). The default must not change predictions.csv for the shared training file.
 */
const TRAINING_DATA = fileURLToPath(new URL('../../../shared/data/challenge_train.csv', import.meta.url));
const hasTrainingData = existsSync(TRAINING_DATA);
if (!hasTrainingData) console.warn(`skipping the training-file check: ${TRAINING_DATA} is absent`);

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cac-formulas-'));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('the default keeps predictions.csv of the shared training file byte-identical', () => {
  it.skipIf(!hasTrainingData)(
    'because no cell of challenge_train.csv, header included, looks like a formula',
    async () => {
      const csv = await openCsv(createReadStream(TRAINING_DATA));
      const changed: string[] = csv.header.columns.filter((c) => neutraliseFormula(c) !== c);
      let rows = 0;
      for await (const record of csv.records) {
        rows++;
        for (const cell of record.fields) if (neutraliseFormula(cell) !== cell) changed.push(`line ${record.line}`);
      }
      expect(rows).toBe(2964);
      expect(changed).toEqual([]);
    },
  );
});

describe('the switch', () => {
  const FILE = 'title,abstract\n"=HYPERLINK(""http://x"")",heart failure\n';

  it('--csv-formulas keep writes the cells as read; the default neutralises them', async () => {
    await writeFile(join(dir, 'f.csv'), FILE);
    expect(await main([join(dir, 'f.csv'), '--out', join(dir, 'default'), '--quiet'])).toBe(EXIT.ok);
    expect(await main([join(dir, 'f.csv'), '--out', join(dir, 'kept'), '--quiet', '--csv-formulas', 'keep'])).toBe(
      EXIT.ok,
    );
    const line = async (folder: string) =>
      (await readFile(join(dir, folder, 'predictions.csv'), 'utf8')).split('\n')[1];
    expect(await line('default')).toMatch(/^"'=HYPERLINK\(""http:\/\/x""\)",heart failure,/);
    expect(await line('kept')).toMatch(/^"=HYPERLINK\(""http:\/\/x""\)",heart failure,/);
  });

  it('--csv-formulas with another value is a usage error', async () => {
    await writeFile(join(dir, 'g.csv'), FILE);
    await expect(main([join(dir, 'g.csv'), '--csv-formulas', 'escape'])).rejects.toBeInstanceOf(UsageError);
  });

  it('CSV_FORMULAS is read by the config module: neutralise (default) or keep, anything else fails with its name', () => {
    expect(loadConfig({}).formulas).toBe('neutralise');
    expect(loadConfig({ CSV_FORMULAS: 'KEEP' }).formulas).toBe('keep');
    expect(() => loadConfig({ CSV_FORMULAS: 'off' })).toThrow(ConfigError);
    expect(() => loadConfig({ CSV_FORMULAS: 'off' })).toThrow(/^CSV_FORMULAS: expected one of neutralise, keep/);
  });
});
