import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportModel } from '#export/exportModel.ts';
import { TINY_SHAPE, writeRandomCheckpoint } from '#export/randomCheckpoint.ts';

/**
 * The real BioClinicalBERT tokenizer and config (no weights), shared beside the repository and never copied into it.
 * Tests that need it skip with `SHARED_TOKENIZER_MISSING` when it is absent.
 */
export const SHARED_BERT_DIR = fileURLToPath(new URL('../../../shared/models/bioclinicalbert/', import.meta.url));
export const hasSharedBert =
  existsSync(join(SHARED_BERT_DIR, 'tokenizer.json')) && existsSync(join(SHARED_BERT_DIR, 'vocab.txt'));
export const SHARED_TOKENIZER_MISSING = `skipped: ${SHARED_BERT_DIR} (the real tokenizer, outside the repository) is absent`;

/** The real checkpoint's tuned thresholds, so a tiny model decides like the real one would. */
export const REAL_THRESHOLDS = { cardiovascular: 0.5, hepatorenal: 0.4, neurological: 0.55, oncological: 0.5 } as const;

/** Weight spread of tiny models: larger than BERT's 0.02 so that outputs are not all ≈ 0.5. */
export const TINY_STD = 0.2;

export interface TinyBertOptions {
  head?: 'cls' | 'pooler';
  quantize?: 'int8' | 'none';
  seed?: number;
  format?: 'safetensors' | 'pytorch';
  graph?: 'auto' | 'fused' | 'plain';
}

/**
 * Writes a complete, servable bert-onnx model folder (2 layers, hidden 32, 4 heads, the real 28,996-token vocabulary
 * and tokenizer): a seeded random checkpoint exported exactly as `npm run export-model` would. ≈ 8 MB, < 1 s.
 */
export async function buildTinyBertModel(outDir: string, opts: TinyBertOptions = {}): Promise<void> {
  if (!hasSharedBert) throw new Error(`buildTinyBertModel needs the shared tokenizer: ${SHARED_BERT_DIR} is absent`);
  const work = await mkdtemp(join(tmpdir(), 'tiny-bert-checkpoint-'));
  try {
    await writeRandomCheckpoint(work, TINY_SHAPE, {
      format: opts.format ?? 'safetensors',
      seed: opts.seed ?? 1,
      std: TINY_STD,
      tokenizerDir: SHARED_BERT_DIR,
      thresholds: REAL_THRESHOLDS,
    });
    await exportModel({
      from: work,
      out: outDir,
      head: opts.head ?? 'cls',
      quantize: opts.quantize ?? 'int8',
      graph: opts.graph ?? 'auto',
      name: 'tiny-bert',
    });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
