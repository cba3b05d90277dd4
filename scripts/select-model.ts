/**
 * `npx tsx scripts/select-model.ts --data <labelled.csv>`
 * Model selection by cross-validation: runs the same 5-fold CV as training for a grid of configurations and
 * prints weighted F1 at 0.5 and with cross-fitted thresholds. The defaults in layers/training/trainLinear.ts
 * are the winner of this grid; the README quotes its output.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import { featurizeCorpus, type DocCounts } from '../layers/training/corpus.ts';
import { crossValidate, DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../layers/training/trainLinear.ts';
import { EXIT, parseFlags, runCli, UsageError } from './cli.ts';

type Variant = { name: string; config: TrainConfig };

function grid(): Variant[] {
  const base = DEFAULT_TRAIN_CONFIG;
  const v = (name: string, patch: Partial<TrainConfig>, features: Partial<TrainConfig['features']> = {}): Variant => ({
    name,
    config: { ...base, ...patch, features: { ...base.features, ...features } },
  });
  return [
    v('raw tf, NB alpha 1 (the classic NBSVM setting)', { alpha: 1 }, { sublinearTf: false }),
    v('raw tf, NB alpha 0.1', {}, { sublinearTf: false }),
    v('sublinear tf, NB alpha 1', { alpha: 1 }),
    v('sublinear tf, NB alpha 0.3', { alpha: 0.3 }),
    v('sublinear tf, NB alpha 0.1 (default)', {}),
    v('sublinear tf, NB alpha 0.03', { alpha: 0.03 }),
    v('… C = 10', { C: 10 }),
    v('… C = 100', { C: 100 }),
    v('… char 3-5 only', {}, { charNgrams: [3, 5] }),
    v('… char 2-6', {}, { charNgrams: [2, 6] }),
    v('… word 1-3', {}, { wordNgrams: [1, 3] }),
    v('… min_df 1', { minDf: 1 }),
  ];
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, { data: { type: 'string' }, only: { type: 'string' } }, 'usage: npx tsx scripts/select-model.ts --data <csv> [--only i,j]');
  if (!values.data) throw new UsageError('--data is required');
  const csv = await openCsv(createReadStream(resolve(values.data)));
  const { texts, truth } = await readLabelledRecords(csv.records, csv.header);
  const variants = grid().filter((_, i) => !values.only || values.only.split(',').map(Number).includes(i));
  const cache = new Map<string, DocCounts[]>();
  process.stdout.write(`${'variant'.padEnd(48)} wF1@0.5  wF1 cross-fitted  micro-F1  seconds\n`);
  for (const { name, config } of variants) {
    const started = performance.now();
    const key = JSON.stringify(config.features);
    if (!cache.has(key)) cache.set(key, featurizeCorpus(texts, config.features));
    const { cv } = crossValidate(cache.get(key)!, truth, config);
    process.stdout.write(
      `${name.padEnd(48)} ${cv.at_0_5.weighted.f1.toFixed(4)}   ${cv.cross_fitted.weighted.f1.toFixed(4)}            ${cv.cross_fitted.micro.f1.toFixed(4)}    ${((performance.now() - started) / 1000).toFixed(0)}\n`,
    );
  }
  return EXIT.ok;
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
