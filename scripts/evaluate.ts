/**
 * `npm run evaluate -- <input.csv> [--out <dir>] [--model <dir>] [--precision fp32|int8] [--batch-size N] [--explain [n]] [--csv-formulas neutralise|keep]`
 * The successor of the prototype's evaluate.py: writes predictions.csv, metrics.json (labelled input),
 * report.txt and report.html into the output folder (error.json instead when the file cannot be evaluated),
 * and prints the report.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DEFAULTS } from '#adapters/config.ts';
import { DEFAULT_MODEL_DIR, loadClassifier } from '#core/classifier.ts';
import { CONFIDENCE_LEVELS } from '#core/confidence.ts';
import { FORMULA_CELLS, isFormulaCells } from '#core/csv/predictionsCsv.ts';
import { InputError } from '#core/errors.ts';
import { DEFAULT_TOP_TERMS, MAX_TOP_TERMS } from '#core/explanation.ts';
import { inSampleCheck, OverlapCounter } from '#core/inSample.ts';
import { evaluateCsv } from '#core/pipeline/evaluateCsv.ts';
import { errorDocument, RESULT_FILES, summaryFiles } from '#core/pipeline/results.ts';
import { readTrainingData } from '#core/trainingData.ts';
import { EXIT, parseFlags, progressBar, reportFailure, runCli, UsageError } from './cli.ts';

const USAGE = [
  'usage: npm run evaluate -- <input.csv> [--out <dir>] [--model <dir>] [--precision fp32|int8] [--batch-size N] [--explain [n]] [--csv-formulas neutralise|keep] [--quiet]',
  '',
  'Classifies every row of a CSV (columns title, abstract, optional group) and writes predictions.csv,',
  'metrics.json (when the file has a group column), report.txt and report.html; error.json when it cannot.',
  '',
  '  --out <dir>            results folder (default ./results/<input name>/)',
  '  --model <dir>          model folder (default: the embedded model)',
  '  --precision fp32|int8  bert-onnx models only',
  '  --batch-size N         rows per model call',
  `  --explain [n]          add an evidence column: the n strongest words per predicted label (1-${MAX_TOP_TERMS}, default ${DEFAULT_TOP_TERMS})`,
  '  --csv-formulas neutralise|keep',
  "                         cells starting with = + - @ (spreadsheet formulas) get a leading ' (default) or are kept",
  '  --quiet                do not print report.txt',
  '  -h, --help             this text',
  '',
  'Exit codes: 0 ok, 64 usage, 65 the file cannot be evaluated, 66 no input, 78 bad model folder, 1 internal error.',
].join('\n');

/** `--explain` takes an optional count, which parseArgs cannot express: give it its value explicitly. */
function explicitExplain(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (arg !== '--explain') out.push(arg);
    else if (/^\d+$/.test(argv[i + 1] ?? '')) out.push(`--explain=${argv[++i]}`);
    else out.push(`--explain=${DEFAULT_TOP_TERMS}`);
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    explicitExplain(argv),
    {
      explain: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      precision: { type: 'string' },
      'batch-size': { type: 'string' },
      'csv-formulas': { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
    USAGE,
  );
  if (positionals.length !== 1)
    throw new UsageError(`expected exactly one input CSV, got ${positionals.length}\n${USAGE}`);
  const input = resolve(positionals[0]!);
  const precision = values.precision;
  if (precision !== undefined && precision !== 'fp32' && precision !== 'int8')
    throw new UsageError(`--precision must be fp32 or int8, got ${precision}`);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0))
    throw new UsageError(`--batch-size must be a positive integer`);
  const explain = values.explain === undefined ? undefined : Number(values.explain);
  if (explain !== undefined && !(Number.isInteger(explain) && explain >= 1 && explain <= MAX_TOP_TERMS)) {
    throw new UsageError(
      `--explain takes a number of words per label from 1 to ${MAX_TOP_TERMS}, got ${JSON.stringify(values.explain)}`,
    );
  }
  const formulas = values['csv-formulas'] ?? DEFAULTS.formulas;
  if (!isFormulaCells(formulas))
    throw new UsageError(`--csv-formulas must be ${FORMULA_CELLS.join(' or ')}, got ${JSON.stringify(formulas)}`);
  const outDir = resolve(values.out ?? join('results', basename(input).replace(/\.csv$/i, '')));

  let size: number;
  try {
    const info = await stat(input);
    if (!info.isFile()) throw new Error('not a file');
    size = info.size;
  } catch {
    throw new InputError('no_input', `cannot read input file ${input} (missing, or not a file)`);
  }
  const classifier = await loadClassifier(values.model, {
    ...(precision ? { precision } : {}),
    ...(batchSize ? { batchSize } : {}),
  });
  if (explain !== undefined && !classifier.canExplain) {
    await classifier.dispose();
    throw new UsageError(
      `--explain: the ${classifier.manifest.backend} backend of ${classifier.manifest.name} does not explain its predictions; run without --explain`,
    );
  }
  if (precision !== undefined && classifier.manifest.backend !== 'bert-onnx') {
    await classifier.dispose();
    throw new UsageError(
      `--precision: only bert-onnx models have a precision to choose; ${classifier.manifest.name} is a ${classifier.manifest.backend} model: run without --precision`,
    );
  }
  try {
    await mkdir(outDir, { recursive: true });
  } catch (cause) {
    await classifier.dispose();
    const code = (cause as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw cause;
    throw new UsageError(`--out: ${outDir} is a file, or inside one; --out names the folder the results go to`);
  }
  // A run replaces the previous run's results: no stale file may survive next to new ones.
  await Promise.all(Object.values(RESULT_FILES).map((f) => rm(join(outDir, f), { force: true })));

  // The in-sample check (layers/core/inSample.ts): the file's SHA-256 against the training file's, and its rows'
  // fingerprints against the training rows', counted as the rows stream by.
  const training = await readTrainingData(values.model ?? DEFAULT_MODEL_DIR, classifier.manifest);
  const overlap = new OverlapCounter(training.fingerprints);
  const hash = createHash('sha256');
  const partial = join(outDir, `.${RESULT_FILES.predictions}.partial`);
  const file = await open(partial, 'w');
  const stream = createReadStream(input);
  stream.on('data', (chunk) => hash.update(chunk));
  const bar = progressBar(size);
  const started = performance.now();
  try {
    const summary = await evaluateCsv(
      stream,
      classifier,
      { write: async (text) => void (typeof text === 'string' ? await file.write(text) : await file.write(text)) },
      {
        ...(batchSize ? { batchSize } : {}),
        // The report's "Errors to look at" costs ~50 explanations whatever the file's size; the column costs one per row.
        evidence: { top: explain ?? DEFAULT_TOP_TERMS, column: explain !== undefined, misclassified: true },
        formulas,
        onProgress: (rows) => bar.update(stream.bytesRead, rows),
        overlap,
      },
    );
    const inSample = inSampleCheck(training, { sha256: hash.digest('hex'), ...overlap.counts() });
    bar.stop();
    await file.close();
    await rename(partial, join(outDir, RESULT_FILES.predictions));
    const files = summaryFiles(basename(input), classifier.manifest, { ...summary, inSample });
    for (const [name, content] of files) await writeFile(join(outDir, name), content);
    const seconds = (performance.now() - started) / 1000;
    if (!values.quiet) process.stdout.write(files.get(RESULT_FILES.reportText)!);
    process.stderr.write(
      `${summary.rows} rows in ${seconds.toFixed(2)} s (${Math.round(summary.rows / seconds)} rows/s); results in ${outDir}\n` +
        `confidence: ${CONFIDENCE_LEVELS.map((level) => `${level.replaceAll('_', ' ')} ${summary.confidenceCounts[level]}`).join(', ')}\n` +
        (inSample.inSample ? `warning: ${inSample.message}\n` : ''),
    );
    return EXIT.ok;
  } catch (error) {
    bar.stop();
    await file.close().catch(() => {});
    await rm(partial, { force: true });
    if (error instanceof InputError) {
      await writeFile(join(outDir, RESULT_FILES.error), errorDocument(basename(input), error));
      process.stderr.write(`wrote ${join(outDir, RESULT_FILES.error)}\n`);
    }
    return reportFailure(error);
  } finally {
    stream.destroy();
    await classifier.dispose();
  }
}

runCli(import.meta.url, main);
