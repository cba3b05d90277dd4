import { Readable } from 'node:stream';
import { loadClassifier } from '#core/classifier.ts';
import { openCsv } from '#core/csv/csvReader.ts';
import { checkRecord } from '#core/csv/records.ts';
import { LABELS } from '#core/labels.ts';
import { evaluateCsv } from '#core/pipeline/evaluateCsv.ts';
import { parseLinearConfig } from '#model/linearConfigSchema.ts';
import { benchCsv, repeatRows } from './data.ts';
import { checkoutPrevious, PREVIOUS_RELEASE } from './previous.ts';
import { line, round } from './stats.ts';

/** What both implementations offer, structurally (the previous one is imported from a git checkout). */
interface AnyClassifier {
  classify(texts: readonly string[]): Promise<{ kind: string }[]>;
  dispose(): Promise<void>;
}
type Evaluate = (
  source: AsyncIterable<Uint8Array>,
  classifier: never,
  sink: { write(text: string | Uint8Array): void },
) => Promise<unknown>;
interface Implementation {
  name: string;
  classifier: AnyClassifier;
  evaluate: Evaluate;
}

const ROUNDS = 7;

/** Best of `ROUNDS` interleaved rounds per implementation: the other core's load hurts both alike. */
async function interleaved(impls: readonly Implementation[], run: (impl: Implementation) => Promise<void>) {
  const best = impls.map(() => Number.POSITIVE_INFINITY);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, impl] of impls.entries()) {
      const started = performance.now();
      await run(impl);
      best[i] = Math.min(best[i]!, performance.now() - started);
    }
  }
  return best;
}

/**
 * Times `group`, one text per call, each implementation interleaved with the others, into `out[<impl>_<key>_us]`, and
 * prints a line titled `title`. A group of fewer than two texts (the synthetic stand-in for the training file, used
 * without ../shared, holds no templates) is reported as not timed; returns whether it was timed.
 */
async function timePerText(
  impls: readonly Implementation[],
  group: readonly string[],
  key: string,
  title: string,
  out: Record<string, number | string>,
  note = '',
): Promise<boolean> {
  if (group.length < 2) {
    line(title, `not timed: ${group.length} in the data`);
    return false;
  }
  const best = await interleaved(impls, async (impl) => {
    for (const text of group) await impl.classifier.classify([text]);
  });
  impls.forEach((impl, i) => {
    out[`${impl.name}_${key}_us`] = round((best[i]! * 1000) / group.length, 1);
  });
  line(
    `${title} (${group.length}${note})`,
    impls.map((impl) => `${impl.name} ${out[`${impl.name}_${key}_us`]}`).join(' · '),
    'µs',
  );
  return true;
}

/**
 * Real abstracts apart: those with a lexicon term (their own expert only) and those without one, which the scope rule
 * also puts to the honest expert. The split shows what the rule costs per text, next to the previous release on the
 * same texts (it had no such rule).
 */
async function realByScope(
  impls: readonly Implementation[],
  texts: readonly string[],
  kinds: readonly string[],
  matched: readonly boolean[],
  out: Record<string, number | string>,
): Promise<void> {
  for (const [key, title, wanted] of [
    ['real_matched', '  with a lexicon term', true],
    ['real_unmatched', '  without one (+ honest expert)', false],
  ] as const) {
    const group = texts.filter((_, i) => kinds[i] === 'real' && matched[i] === wanted);
    await timePerText(impls, group, key, title, out);
  }
}

/**
 * The model, in process, next to the previous release: µs per text for real abstracts and for templates (one text per
 * call, one core), then rows/s end to end (parse, classify, write predictions, metrics) on the CSV three times over.
 */
export async function benchModel(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  const { csv, source } = await benchCsv();
  process.stdout.write(`\nModel, current vs previous release (${PREVIOUS_RELEASE}), data: ${source}\n`);
  const previous = await checkoutPrevious();
  const impls: Implementation[] = [];
  if (previous) {
    const core = await previous.load<{ loadClassifier: () => Promise<AnyClassifier> }>('layers/core/classifier.ts');
    const pipeline = await previous.load<{ evaluateCsv: Evaluate }>('layers/core/pipeline/evaluateCsv.ts');
    impls.push({ name: 'previous', classifier: await core.loadClassifier(), evaluate: pipeline.evaluateCsv });
  } else {
    process.stdout.write(`  (no git history with ${PREVIOUS_RELEASE}: current implementation only)\n`);
  }
  const current = await loadClassifier();
  impls.push({ name: 'current', classifier: current, evaluate: evaluateCsv as unknown as Evaluate });

  const texts: string[] = [];
  const parsed = await openCsv(Readable.from([Buffer.from(csv)]));
  for await (const record of parsed.records) texts.push(checkRecord(record.fields, record.line, parsed.header).text);
  const kinds = (await current.classify(texts)).map((p) => p.kind);
  // Whether a text matched a term of the model's lexicon: a real abstract that matched none is scored by a second
  // expert too (the scope rule, layers/model/scope.ts), which the previous release did not have. Only for a model
  // with a lexicon and a scope rule over real abstracts (the embedded default).
  const { matches } = await current.model.score(texts);
  const L = LABELS.length;
  const matched =
    matches &&
    current.manifest.backend === 'linear' &&
    parseLinearConfig(current.manifest.backendConfig, 'model.json').scope?.kinds.includes('real')
      ? texts.map((_, i) => matches.subarray(i * L, (i + 1) * L).some((m) => m > 0))
      : undefined;
  for (const impl of impls) await impl.classifier.classify(texts); // warm up the JIT

  for (const kind of ['real', 'template'] as const) {
    const group = texts.filter((_, i) => kinds[i] === kind);
    const title = `µs per ${kind === 'real' ? 'real abstract' : 'template'}`;
    if (!(await timePerText(impls, group, kind, title, out, ', one per call'))) continue;
    // The rounds above see each text again, so the experts' chunk caches (layers/model/chunkCache.ts) know every
    // word: a text's first sight is slower. Measured on freshly loaded models (empty caches, JIT already warm), best
    // of three: each text is new to the model, only the words it shares with the texts before it are known. The
    // first text is not timed: it loads the experts (their weights are read at the first text that needs them).
    let first = Number.POSITIVE_INFINITY;
    for (let r = 0; r < 3; r++) {
      const fresh = await loadClassifier();
      await fresh.classify([group[0]!]);
      const started = performance.now();
      for (let i = 1; i < group.length; i++) await fresh.classify([group[i]!]);
      first = Math.min(first, performance.now() - started);
      await fresh.dispose();
    }
    out[`current_${kind}_first_sight_us`] = round((first * 1000) / (group.length - 1), 1);
    line(`  the same, each text seen for the first time`, `current ${out[`current_${kind}_first_sight_us`]}`, 'µs');
    if (kind === 'real' && matched) await realByScope(impls, texts, kinds, matched, out);
  }

  const tripled = Buffer.from(repeatRows(csv, 3 * texts.length));
  const best = await interleaved(impls, async (impl) => {
    await impl.evaluate(Readable.from([tripled]), impl.classifier as never, { write: () => {} });
  });
  impls.forEach((impl, i) => {
    out[`${impl.name}_csv_rows_per_s`] = Math.round((3 * texts.length) / (best[i]! / 1000));
  });
  line(
    `end to end, ${3 * texts.length} rows (parse+classify+write)`,
    impls.map((impl) => `${impl.name} ${out[`${impl.name}_csv_rows_per_s`]}`).join(' · '),
    'rows/s',
  );
  if (previous) {
    out.csv_speedup = round(Number(out.current_csv_rows_per_s) / Number(out.previous_csv_rows_per_s), 2);
    line('end to end, current / previous', out.csv_speedup, '×');
  }
  for (const impl of impls) await impl.classifier.dispose();
  await previous?.cleanup();
  return out;
}
