import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXIT, exitCodeFor, UsageError } from '../../scripts/cli.ts';
import { main } from '../../scripts/evaluate.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cac-cli-'));
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run evaluate', () => {
  it('writes predictions.csv, metrics.json, report.txt and report.html for a labelled file', async () => {
    await writeFile(join(dir, 'labelled.csv'), syntheticCsv({ rows: 40, delimiter: '\t' }));
    expect(await main([join(dir, 'labelled.csv'), '--out', join(dir, 'out')])).toBe(EXIT.ok);
    expect((await readdir(join(dir, 'out'))).sort()).toEqual([
      'metrics.json',
      'predictions.csv',
      'report.html',
      'report.txt',
    ]);
    const metrics = JSON.parse(await readFile(join(dir, 'out', 'metrics.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(metrics)).toEqual([
      'n_rows',
      'labels',
      'micro',
      'macro',
      'weighted',
      'samples',
      'per_label',
      'subset_accuracy',
      'hamming_loss',
      // An extra field after scikit-learn's (issue 15): rows per confidence level.
      'confidence',
    ]);
    expect(Object.keys(metrics.confidence as object)).toEqual(['high', 'low', 'out_of_scope']);
    expect(Object.values(metrics.confidence as object).reduce((a: number, b: number) => a + b, 0)).toBe(metrics.n_rows);
    const report = await readFile(join(dir, 'out', 'report.txt'), 'utf8');
    expect(report).toMatch(/Weighted F1: 0\.\d{4}/);
    expect(report).toMatch(/Confidence\n/);
  });

  it("writes error.json instead, exits 65, and removes an earlier run's results", async () => {
    await writeFile(join(dir, 'bad.csv'), 'title;abstract;group\nt;a;cardio|lungs\n');
    expect(await main([join(dir, 'bad.csv'), '--out', join(dir, 'out')])).toBe(EXIT.dataError);
    expect(await readdir(join(dir, 'out'))).toEqual(['error.json']);
    const error = JSON.parse(await readFile(join(dir, 'out', 'error.json'), 'utf8')) as {
      error: { details: { line: number; column: number }[] };
    };
    expect(error.error.details[0]).toMatchObject({ line: 2, column: 3 });
  });

  it('defaults the output folder to ./results/<input name>/', async () => {
    const cwd = process.cwd();
    await writeFile(join(dir, 'named.csv'), syntheticCsv({ rows: 5, labelled: false }));
    process.chdir(dir);
    try {
      expect(await main([join(dir, 'named.csv'), '--quiet'])).toBe(EXIT.ok);
      expect((await readdir(join(dir, 'results', 'named'))).sort()).toEqual([
        'predictions.csv',
        'report.html',
        'report.txt',
      ]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('treats a missing file, an unknown flag or a bad model folder as errors with their own exit codes', async () => {
    await expect(main([join(dir, 'nope.csv')])).rejects.toSatisfy((e) => exitCodeFor(e) === EXIT.noInput);
    await expect(main([dir])).rejects.toSatisfy((e) => exitCodeFor(e) === EXIT.noInput);
    await expect(main(['x.csv', '--frobnicate'])).rejects.toBeInstanceOf(UsageError);
    await writeFile(join(dir, 'ok.csv'), syntheticCsv({ rows: 2 }));
    await expect(main([join(dir, 'ok.csv'), '--model', dir])).rejects.toSatisfy((e) => exitCodeFor(e) === EXIT.config);
  });

  it('refuses --out naming a file, and --precision for a model without one, as usage errors that say why', async () => {
    await writeFile(join(dir, 'ok.csv'), syntheticCsv({ rows: 2 }));
    for (const out of [join(dir, 'ok.csv'), join(dir, 'ok.csv', 'below')])
      await expect(main([join(dir, 'ok.csv'), '--out', out])).rejects.toSatisfy(
        (e) => e instanceof UsageError && e.message.startsWith(`--out: ${out} is a file, or inside one`),
      );
    await expect(main([join(dir, 'ok.csv'), '--out', join(dir, 'p'), '--precision', 'int8'])).rejects.toSatisfy(
      (e) => e instanceof UsageError && /^--precision: only bert-onnx models .* is a linear model/.test(e.message),
    );
    expect(existsSync(join(dir, 'p'))).toBe(false);
  });
});

/** The embedded model's training file, beside the repository (skipped with a message when absent). */
const SHARED_TRAIN = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'challenge_train.csv');

describe('npm run evaluate on the training data (in-sample warning)', () => {
  it.skipIf(!existsSync(SHARED_TRAIN))(
    'warns in report.txt and report.html when most rows are training rows (the first 40 rows of challenge_train.csv)',
    async () => {
      const text = await readFile(SHARED_TRAIN, 'utf8');
      const lines = text.split('\n');
      // The first 40 records: the file's own bytes, up to the 41st line that starts a record (no quoted newlines here).
      await writeFile(join(dir, 'head.csv'), `${lines.slice(0, 41).join('\n')}\n`);
      expect(await main([join(dir, 'head.csv'), '--out', join(dir, 'head'), '--quiet'])).toBe(EXIT.ok);
      const report = await readFile(join(dir, 'head', 'report.txt'), 'utf8');
      const html = await readFile(join(dir, 'head', 'report.html'), 'utf8');
      expect(report).toContain('WARNING: In-sample: 40 of 40 rows (100 %) are training rows of the model');
      expect(html).toContain('<strong>In-sample scores.</strong> 40 of 40 rows (100 %)');
    },
  );

  it('says nothing of the kind for rows the model never saw', async () => {
    await writeFile(join(dir, 'new.csv'), syntheticCsv({ rows: 30, seed: 99 }));
    expect(await main([join(dir, 'new.csv'), '--out', join(dir, 'new'), '--quiet'])).toBe(EXIT.ok);
    expect(await readFile(join(dir, 'new', 'report.txt'), 'utf8')).not.toMatch(/in-sample|training rows/i);
  });
});
