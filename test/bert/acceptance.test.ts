import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS } from '#core/labels.ts';
import { randomBertConfig, TINY_SHAPE, writeRandomCheckpoint } from '#export/randomCheckpoint.ts';
import { main as evaluate } from '../../scripts/evaluate.ts';
import { main as exportModel } from '../../scripts/export-model.ts';
import { longAbstract } from '../../scripts/fixtures/bertTexts.ts';
import { ReferenceBert, type ReferenceConfig } from './referenceBert.ts';
import { ReferenceWordPiece } from './referenceTokenizer.ts';
import { hasSharedBert, REAL_THRESHOLDS, SHARED_BERT_DIR, SHARED_TOKENIZER_MISSING, TINY_STD } from './tinyModel.ts';

/**
 * The issue's acceptance, end to end through both command lines: `npm run export-model -- --from <tiny checkpoint>
 * --out <dir> --quantize none [--head pooler]` then `npm run evaluate -- <csv> --model <dir>` gives probabilities
 * within 1e-4 of the independent TypeScript BERT on the same weights and the real tokenizer. Both commands' `main`
 * run in this process (argument parsing included), which spares a Node start and a TypeScript load per command.
 */
const cli = async (main: (argv: string[]) => Promise<number>, args: string[]) => {
  expect(await main(args)).toBe(0);
};

const ROWS = [
  { title: 'Myocardial infarction', abstract: 'Outcomes after primary PCI in 1,024 patients; p<0.001.' },
  { title: 'Hepatorenal syndrome', abstract: 'Terlipressin and albumin: a randomized trial (HRS-AKI).' },
  { title: 'Naïve café study', abstract: 'Guillain–Barré syndrome, Sjögren’s disease and α-synuclein.' },
  { title: '', abstract: 'Glioblastoma treated with temozolomide 75 mg/m² daily.' },
  { title: 'A very long abstract', abstract: longAbstract() },
];

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'bert-acceptance-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

if (!hasSharedBert) console.warn(SHARED_TOKENIZER_MISSING);

describe.skipIf(!hasSharedBert)(
  `export-model CLI → evaluate CLI equals an independent BERT${hasSharedBert ? '' : ` — ${SHARED_TOKENIZER_MISSING}`}`,
  () => {
    for (const head of ['cls', 'pooler'] as const) {
      it(`--head ${head}: predictions.csv probabilities within 1e-4 of the reference`, async () => {
        const checkpoint = join(root, `checkpoint-${head}`);
        const tensors = await writeRandomCheckpoint(checkpoint, TINY_SHAPE, {
          format: head === 'cls' ? 'pytorch' : 'safetensors',
          seed: 77,
          std: TINY_STD,
          tokenizerDir: SHARED_BERT_DIR,
          thresholds: REAL_THRESHOLDS,
        });
        const model = join(root, `model-${head}`);
        await cli(exportModel, ['--from', checkpoint, '--out', model, '--quantize', 'none', '--head', head]);
        const csv = join(root, `abstracts-${head}.csv`);
        const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
        await writeFile(
          csv,
          ['title,abstract', ...ROWS.map((r) => `${quote(r.title)},${quote(r.abstract)}`)].join('\n'),
        );
        const out = join(root, `results-${head}`);
        await cli(evaluate, [csv, '--model', model, '--out', out, '--quiet']);

        const predictions = parse(await readFile(join(out, 'predictions.csv'), 'utf8'), { columns: true }) as Record<
          string,
          string
        >[];
        expect(predictions).toHaveLength(ROWS.length);
        const reference = new ReferenceBert(randomBertConfig(TINY_SHAPE) as unknown as ReferenceConfig, tensors);
        const tokenizer = new ReferenceWordPiece(join(SHARED_BERT_DIR, 'vocab.txt'));
        let worst = 0;
        ROWS.forEach((row, i) => {
          const logits = reference.logits(tokenizer.encode(`${row.title} ${row.abstract}`.trim(), 256), head);
          for (const label of LABELS) {
            const expected = 1 / (1 + Math.exp(-logits[label]!));
            worst = Math.max(worst, Math.abs(Number(predictions[i]![`proba_${label}`]) - expected));
          }
        });
        expect(worst).toBeLessThanOrEqual(1e-4);
      });
    }
  },
);
