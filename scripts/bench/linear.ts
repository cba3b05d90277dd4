import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadClassifier } from '#core/classifier.ts';
import { openCsv } from '#core/csv/csvReader.ts';
import { checkRecord } from '#core/csv/records.ts';
import { evaluateCsv } from '#core/pipeline/evaluateCsv.ts';
import { train } from '../train.ts';
import { benchCsv, SHARED_TRAIN_CSV } from './data.ts';
import { line, peakRssMb, percentile, round } from './stats.ts';

/** Embedded model: training time, load time, model throughput, pipeline throughput, single-text latency. */
export async function benchLinear(options: { train: boolean }): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const { csv, source } = await benchCsv();
  process.stdout.write(`\nEmbedded model (linear), data: ${source}\n`);

  if (options.train && existsSync(SHARED_TRAIN_CSV)) {
    const dir = await mkdtemp(join(tmpdir(), 'cac-bench-train-'));
    const started = performance.now();
    await train(SHARED_TRAIN_CSV, join(dir, 'model'));
    out.train_seconds = round((performance.now() - started) / 1000, 1);
    line('training (npm run train: CV by kind + calibration + final fits)', out.train_seconds, 's');
    await rm(dir, { recursive: true, force: true });
  }

  const loadStart = performance.now();
  const classifier = await loadClassifier();
  out.load_ms = round(performance.now() - loadStart, 1);
  line('model load', out.load_ms, 'ms');

  const texts: string[] = [];
  const parsed = await openCsv(Readable.from([Buffer.from(csv)]));
  for await (const record of parsed.records) texts.push(checkRecord(record.fields, record.line, parsed.header).text);

  // Warm up the JIT, then time the model alone (featurise + score + decide) on one core.
  await classifier.classify(texts.slice(0, 200));
  let best = Infinity;
  for (let round_ = 0; round_ < 3; round_++) {
    const started = performance.now();
    await classifier.classify(texts);
    best = Math.min(best, performance.now() - started);
  }
  out.model_rows_per_s = Math.round(texts.length / (best / 1000));
  line(`model throughput (${texts.length} rows, best of 3)`, out.model_rows_per_s, 'rows/s');

  const started = performance.now();
  // The output is discarded: this measures parsing, prediction and serialisation, not a disk.
  await evaluateCsv(Readable.from([Buffer.from(csv)]), classifier, { write: () => {} });
  out.pipeline_rows_per_s = Math.round(texts.length / ((performance.now() - started) / 1000));
  line('CSV pipeline throughput (parse+predict+write)', out.pipeline_rows_per_s, 'rows/s');

  const latencies: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const text = texts[(i * 7919) % texts.length]!;
    const t0 = performance.now();
    await classifier.classify([text]);
    latencies.push(performance.now() - t0);
  }
  out.single_p50_ms = round(percentile(latencies, 50), 3);
  out.single_p99_ms = round(percentile(latencies, 99), 3);
  line('single-text latency p50 / p99 (in-process)', `${out.single_p50_ms} / ${out.single_p99_ms}`, 'ms');

  // Evidence is opt-in; its cost per text, measured the same way.
  const explainLatencies: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const text = texts[(i * 7919) % texts.length]!;
    const t0 = performance.now();
    await classifier.classify([text], { explain: true });
    explainLatencies.push(performance.now() - t0);
  }
  out.explain_p50_ms = round(percentile(explainLatencies, 50), 3);
  out.explain_p99_ms = round(percentile(explainLatencies, 99), 3);
  line('single-text explain latency p50 / p99 (in-process)', `${out.explain_p50_ms} / ${out.explain_p99_ms}`, 'ms');
  out.peak_rss_mb = peakRssMb();
  line('peak RSS so far', out.peak_rss_mb, 'MB');
  await classifier.dispose();
  return out;
}
