import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LABELS } from '#core/labels.ts';
import { writePytorchCheckpoint } from './pytorchCheckpoint.ts';
import { SeededRandom } from './rng.ts';
import { writeSafetensors } from './safetensors.ts';
import type { TensorMap } from './tensor.ts';

/**
 * Random BERT checkpoints shaped like the real one (BertModel + Linear(hidden → 4) on [CLS], optionally a pooler),
 * for tests and the bench: a seeded generator makes them identical everywhere.
 */
export interface RandomBertShape {
  hiddenSize: number;
  layers: number;
  heads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositions: number;
}

export const TINY_SHAPE: RandomBertShape = {
  hiddenSize: 32,
  layers: 2,
  heads: 4,
  intermediateSize: 64,
  vocabSize: 28996,
  maxPositions: 512,
};
export const BASE_SHAPE: RandomBertShape = {
  hiddenSize: 768,
  layers: 12,
  heads: 12,
  intermediateSize: 3072,
  vocabSize: 28996,
  maxPositions: 512,
};

export interface RandomCheckpointOptions {
  seed?: number;
  /** Prefix parameter names with `bert.` as BertForSequenceClassification does (default true). */
  prefix?: boolean;
  /** Include pooler weights (default true: the real checkpoint has them, unused). */
  pooler?: boolean;
  /** Weight standard deviation; larger than BERT's 0.02 makes tiny models' outputs spread over (0, 1). */
  std?: number;
  /** Classifier weight standard deviation (default max(std, 0.5), which spreads a tiny model's outputs). */
  classifierStd?: number;
  /** Order of id2label; default LABELS order. */
  id2label?: readonly string[];
}

export function randomBertConfig(
  shape: RandomBertShape,
  id2label: readonly string[] = LABELS,
): Record<string, unknown> {
  return {
    architectures: ['BertForSequenceClassification'],
    attention_probs_dropout_prob: 0.1,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: shape.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: shape.intermediateSize,
    layer_norm_eps: 1e-12,
    max_position_embeddings: shape.maxPositions,
    model_type: 'bert',
    num_attention_heads: shape.heads,
    num_hidden_layers: shape.layers,
    pad_token_id: 0,
    type_vocab_size: 2,
    vocab_size: shape.vocabSize,
    id2label: Object.fromEntries(id2label.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(id2label.map((l, i) => [l, i])),
    num_labels: id2label.length,
  };
}

export function randomBertTensors(shape: RandomBertShape, options: RandomCheckpointOptions = {}): TensorMap {
  const rng = new SeededRandom(options.seed ?? 1);
  const std = options.std ?? 0.02;
  const p = options.prefix === false ? '' : 'bert.';
  const H = shape.hiddenSize;
  const tensors: TensorMap = new Map();
  const normal = (name: string, dims: number[], s = std) => {
    const data = rng.fillNormal(new Float32Array(dims.reduce((a, b) => a * b, 1)), s);
    tensors.set(name, { shape: dims, data });
  };
  // LayerNorm parameters near (1, 0) but not exactly, so a swapped gamma/beta would show in the comparison.
  const norm = (name: string) => {
    tensors.set(`${name}.weight`, { shape: [H], data: rng.fillNormal(new Float32Array(H), 0.1, 1) });
    tensors.set(`${name}.bias`, { shape: [H], data: rng.fillNormal(new Float32Array(H), 0.1) });
  };
  const linear = (name: string, out: number, inp: number) => {
    normal(`${name}.weight`, [out, inp]);
    normal(`${name}.bias`, [out]);
  };
  normal(`${p}embeddings.word_embeddings.weight`, [shape.vocabSize, H]);
  normal(`${p}embeddings.position_embeddings.weight`, [shape.maxPositions, H]);
  normal(`${p}embeddings.token_type_embeddings.weight`, [2, H]);
  norm(`${p}embeddings.LayerNorm`);
  for (let l = 0; l < shape.layers; l++) {
    const q = `${p}encoder.layer.${l}`;
    linear(`${q}.attention.self.query`, H, H);
    linear(`${q}.attention.self.key`, H, H);
    linear(`${q}.attention.self.value`, H, H);
    linear(`${q}.attention.output.dense`, H, H);
    norm(`${q}.attention.output.LayerNorm`);
    linear(`${q}.intermediate.dense`, shape.intermediateSize, H);
    linear(`${q}.output.dense`, H, shape.intermediateSize);
    norm(`${q}.output.LayerNorm`);
  }
  if (options.pooler !== false) linear(`${p}pooler.dense`, H, H);
  // A wider classifier makes the tiny model's probabilities spread over (0, 1) instead of all sitting at 0.5.
  const classifierStd = options.classifierStd ?? Math.max(std, 0.5);
  normal('classifier.weight', [LABELS.length, H], classifierStd);
  normal('classifier.bias', [LABELS.length], classifierStd);
  return tensors;
}

export interface WriteCheckpointOptions extends RandomCheckpointOptions {
  format: 'safetensors' | 'pytorch';
  /** Folder with the tokenizer files to copy alongside (tokenizer.json, vocab.txt, ...). */
  tokenizerDir?: string;
  thresholds?: Readonly<Record<string, number>>;
}

export const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.txt',
] as const;

/** Writes a Hugging Face-style checkpoint folder: config.json, weights, and optionally tokenizer and thresholds. */
export async function writeRandomCheckpoint(
  dir: string,
  shape: RandomBertShape,
  options: WriteCheckpointOptions,
): Promise<TensorMap> {
  await mkdir(dir, { recursive: true });
  const tensors = randomBertTensors(shape, options);
  await writeFile(join(dir, 'config.json'), `${JSON.stringify(randomBertConfig(shape, options.id2label), null, 2)}\n`);
  if (options.format === 'safetensors') await writeFile(join(dir, 'model.safetensors'), writeSafetensors(tensors));
  else await writeFile(join(dir, 'pytorch_model.bin'), writePytorchCheckpoint(tensors));
  if (options.tokenizerDir) {
    for (const f of TOKENIZER_FILES) await copyFile(join(options.tokenizerDir, f), join(dir, f));
  }
  if (options.thresholds) await writeFile(join(dir, 'best_thresholds.json'), `${JSON.stringify(options.thresholds)}\n`);
  return tensors;
}
