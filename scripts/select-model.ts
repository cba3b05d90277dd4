/**
 * `npx tsx scripts/select-model.ts --data <labelled.csv> [--plans a,b] [--seeds 0,1,2] [--cutoffs 16,24,32]`
 * Model selection by kind: cross-validates the expert plans of layers/training/plans.ts (5 folds, each fold seed,
 * calibration cross-fitted) and prints weighted F1 by kind (all rows, real, template, titles and first sentences of
 * real abstracts, every snippet-kind sample), and the calibration error before and after Platt scaling. `--cutoffs`
 * varies the snippet cut-off of the router (layers/model/router.ts). The README quotes its output.
 *
 * `--grid` runs the earlier single-model grid (one NB-LR on every row) that chose the per-expert features.
 */
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import { Lexicon } from '#model/lexicon.ts';
import { DEFAULT_ROUTER, TEXT_KINDS } from '#model/router.ts';
import {
  buildSamples,
  crossValidateExperts,
  type ExpertPlan,
  GROUPS,
  type KindsCrossValidation,
  SampleFeatures,
  type TrainingData,
  truthOfRows,
} from '#training/experts.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '#training/fit.ts';
import { knowledgeFor } from '#training/knowledge.ts';
import { PLANS } from '#training/plans.ts';
import { type ShiftFigures, vocabularyShift } from '#training/vocabularyShift.ts';
import { EXIT, parseFlags, runCli, UsageError } from './cli.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

type Variant = { name: string; config: TrainConfig };

function grid(): Variant[] {
  const base = DEFAULT_TRAIN_CONFIG;
  const v = (name: string, patch: Partial<TrainConfig>, features: Partial<TrainConfig['features']> = {}): Variant => ({
    name,
    config: { ...base, ...patch, features: { ...base.features, ...features } },
  });
  // Every row states its character n-gram range, so the table in the README reads without the defaults.
  const c25 = { charNgrams: [2, 5] as [number, number] };
  return [
    v('raw tf, NB alpha 1, char 2-5 (classic NBSVM)', { alpha: 1 }, { ...c25, sublinearTf: false }),
    v('raw tf, NB alpha 0.1, char 2-5', {}, { ...c25, sublinearTf: false }),
    v('sublinear tf, NB alpha 1, char 2-5', { alpha: 1 }, c25),
    v('sublinear tf, NB alpha 0.3, char 2-5', { alpha: 0.3 }, c25),
    v('sublinear tf, NB alpha 0.1, char 2-5', {}, c25),
    v('sublinear tf, NB alpha 0.03, char 2-5', { alpha: 0.03 }, c25),
    v('sublinear, alpha 0.1, C = 10, char 2-5', { C: 10 }, c25),
    v('sublinear, alpha 0.1, C = 100, char 2-5', { C: 100 }, c25),
    v('sublinear, alpha 0.1, C = 30, char 3-5 (default)', {}),
    v('sublinear, alpha 0.1, char 2-6', {}, { charNgrams: [2, 6] }),
    v('sublinear, alpha 0.1, word 1-3, char 2-5', {}, { ...c25, wordNgrams: [1, 3] }),
    v('sublinear, alpha 0.1, min_df 1, char 2-5', { minDf: 1 }, c25),
    v('sublinear, alpha 0.1, C = 10, char 3-5', { C: 10 }),
    v('sublinear, alpha 0.1, C = 3, char 3-5', { C: 3 }),
    v('sublinear, alpha 0.3, C = 10, char 3-5', { C: 10, alpha: 0.3 }),
    v('sublinear, alpha 0.1, C = 3, char 2-5', { C: 3 }, c25),
  ];
}

/** The grid's variants are single-expert plans (one NB-LR for every kind, thresholds tuned), through the one CV loop. */
async function singleGrid(data: TrainingData, only: string | undefined, seeds: number[]): Promise<void> {
  const variants = grid().filter((_, i) => !only || only.split(',').map(Number).includes(i));
  const samples = buildSamples(data, DEFAULT_ROUTER);
  const features = new SampleFeatures(samples);
  process.stdout.write(
    `seeds ${seeds.join(', ')}; figures are means over seeds\n${'variant'.padEnd(48)} wF1@0.5  wF1 cross-fitted  micro-F1  seconds\n`,
  );
  for (const { name, config } of variants) {
    const started = performance.now();
    const plan: ExpertPlan = {
      router: DEFAULT_ROUTER,
      experts: [{ kinds: TEXT_KINDS, config, trainOn: { rows: TEXT_KINDS }, calibrate: false }],
    };
    const runs = seeds.map((seed) => crossValidateExperts(samples, features, truthOfRows(data), plan, 5, seed).cv);
    const mean = (f: (cv: KindsCrossValidation) => number) => runs.reduce((s, cv) => s + f(cv), 0) / runs.length;
    process.stdout.write(
      `${name.padEnd(48)} ${mean((cv) => cv.raw_at_0_5.all!.weighted_f1).toFixed(4)}   ${mean((cv) => cv.calibrated_tuned.all!.weighted_f1).toFixed(4)}            ${mean((cv) => cv.calibrated_tuned.all!.micro_f1).toFixed(4)}    ${((performance.now() - started) / 1000).toFixed(0)}\n`,
    );
  }
}

const pct = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '–' : x.toFixed(4));

async function main(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      data: { type: 'string' },
      only: { type: 'string' },
      seeds: { type: 'string' },
      plans: { type: 'string' },
      cutoffs: { type: 'string' },
      grid: { type: 'boolean' },
      'shift-seeds': { type: 'string' },
      verbose: { type: 'boolean' },
      scope: { type: 'boolean' },
    },
    'usage: npx tsx scripts/select-model.ts --data <csv> [--plans a,b] [--seeds 0,1,2] [--cutoffs 16,24] | --grid [--only i,j]',
  );
  if (!values.data) throw new UsageError('--data is required');
  const csv = await openCsv(createReadStream(resolve(values.data)));
  const rows = await readLabelledRecords(csv.records, csv.header);
  // Several fold seeds average out the luck of one split (differences below ~0.003 are within that noise).
  const seeds = (values.seeds ?? (values.grid ? '0' : '0,1,2')).split(',').map(Number);
  if (values.grid) {
    await singleGrid({ ...rows, background: [] }, values.only, seeds);
    return EXIT.ok;
  }
  const names = values.plans ? values.plans.split(',') : Object.keys(PLANS);
  const shiftSeeds = (values['shift-seeds'] ?? '0,1,2').split(',').map(Number);
  let offTopic: { paragraphs: string[]; sentences: string[] } | undefined;
  process.stdout.write(
    `5-fold CV by kind, fold seeds ${seeds.join(', ')} (means); weighted F1, calibrated (cross-fitted), threshold 0.5; single = today's tuned thresholds\n` +
      `vocabulary shift: rows with a random half of the label-specific rare words held out (draws ${shiftSeeds.join(', ')}, means); weighted F1 / top-1 on the held-out rows\n` +
      `background: out-of-fold share of the non-medical background texts given a label with p ≥ 0.5 / with p ≥ 0.9\n`,
  );
  process.stdout.write(
    `| plan | snippet cut-off | ${GROUPS.join(' | ')} | ECE before → after (all) | shift wF1 | shift top-1 | shift real wF1 | shift real top-1 | background p≥0.5 / p≥0.9 | seconds |\n|${' --- |'.repeat(GROUPS.length + 9)}\n`,
  );
  for (const name of names) {
    const base = PLANS[name];
    if (!base) throw new UsageError(`unknown plan ${JSON.stringify(name)}; plans: ${Object.keys(PLANS).join(', ')}`);
    const cutoffs = values.cutoffs ? values.cutoffs.split(',').map(Number) : [base.router.snippet.maxTokens];
    for (const cutoff of cutoffs) {
      const plan: ExpertPlan = { ...base, router: { ...base.router, snippet: { maxTokens: cutoff } } };
      const knowledge = knowledgeFor(rows, plan);
      const samples = buildSamples(knowledge.data, plan.router);
      const features = new SampleFeatures(samples, knowledge.lexicon && Lexicon.fromFile(knowledge.lexicon));
      const truth = truthOfRows(knowledge.data);
      const started = performance.now();
      const runs = seeds.map((seed) => crossValidateExperts(samples, features, truth, plan, 5, seed));
      const cvs = runs.map((r) => r.cv);
      const mean = (f: (cv: KindsCrossValidation) => number | undefined) =>
        cvs.reduce((s, cv) => s + (f(cv) ?? Number.NaN), 0) / cvs.length;
      const shifts = shiftSeeds.map((seed) =>
        vocabularyShift(knowledge.data, samples, features, plan, runs[0]!.calibration, seed),
      );
      const shiftMean = (f: (s: ShiftFigures) => number) => shifts.reduce((s, x) => s + f(x), 0) / shifts.length;
      // An uncalibrated plan (today's single model) is scored with its tuned thresholds, as it ships.
      const calibrated = plan.experts.some((e) => e.calibrate);
      const pick = (cv: KindsCrossValidation) => (calibrated ? cv.calibrated_at_0_5 : cv.calibrated_tuned);
      const background = cvs[0]!.background;
      process.stdout.write(
        `| ${name} | ${cutoff} | ${GROUPS.map((g) => pct(mean((cv) => pick(cv)[g]?.weighted_f1))).join(' | ')} | ` +
          `${pct(mean((cv) => cv.ece.before.all))} → ${pct(mean((cv) => cv.ece.after.all))} | ` +
          `${pct(shiftMean((x) => x.all.weighted_f1))} | ${pct(shiftMean((x) => x.all.top1))} | ` +
          `${pct(shiftMean((x) => x.real.weighted_f1))} | ${pct(shiftMean((x) => x.real.top1))} | ` +
          `${background ? `${pct(background.labelled_share)} / ${pct(background.confident_share)}` : '–'} | ` +
          `${((performance.now() - started) / 1000).toFixed(0)} |\n`,
      );
      if (values.scope) {
        const { offTopicTexts } = await import('#training/offTopic.ts');
        const { EVERYDAY_PARAGRAPHS, EVERYDAY_SENTENCES } = await import('./fixtures/everydayTexts.ts');
        const { fitExperts } = await import('#training/experts.ts');
        const { inScopeFigures, outOfScopeFigures, servedScorer } = await import('#training/scopeFigures.ts');
        offTopic ??= offTopicTexts(REPO_ROOT);
        const trained = fitExperts(samples, features, truth, plan, runs[0]!.calibration);
        const score = servedScorer(trained, plan, features.lexicon);
        const sets: Record<string, readonly string[]> = {
          'off-topic paragraphs': offTopic.paragraphs,
          'off-topic sentences': offTopic.sentences,
          'everyday paragraphs': EVERYDAY_PARAGRAPHS,
          'everyday sentences': EVERYDAY_SENTENCES,
        };
        for (const real of [0.2, 0.3, 0.5]) {
          for (const snippet of [0.3, 0.4, 0.5]) {
            const rule = { outOfScopeBelow: { real, template: real, snippet }, highFrom: 0.7 };
            const inScope = inScopeFigures(samples, truth, runs[0]!, rule);
            const parts = Object.entries(inScope).map(
              ([g, f]) =>
                `${g}: oos ${pct(f.out_of_scope)} low ${pct(f.low)} high ${pct(f.high)}${f.high_top1 !== undefined ? ` (top-1 ${pct(f.high_top1)})` : ''}`,
            );
            for (const [name, texts] of Object.entries(sets)) {
              const f = outOfScopeFigures(score, texts, rule);
              parts.push(`${name} (${f.n}): oos ${pct(f.out_of_scope)} p≥0.9 ${pct(f.confident)}`);
            }
            process.stdout.write(`  rule ${JSON.stringify(rule)}\n    ${parts.join('\n    ')}\n`);
          }
        }
      }
      if (values.verbose)
        process.stdout.write(
          `${JSON.stringify({ plan: name, shifts: shifts.map(({ seed, held_out_rows, held_out_words, rare_words }) => ({ seed, held_out_rows, held_out_words, rare_words })) })}\n`,
        );
    }
  }
  return EXIT.ok;
}

runCli(import.meta.url, main);
