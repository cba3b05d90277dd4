import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, ModelLoadError } from '#core/errors.ts';
import { LABELS, labelIndex } from '#core/labels.ts';
import { readPytorchCheckpoint } from './pytorchCheckpoint.ts';
import { readSafetensors } from './safetensors.ts';
import { elementCount, type FloatTensor, type TensorMap } from './tensor.ts';

/** The fields of a Hugging Face BERT `config.json` the exporter relies on; anything else is carried along unread. */
export const bertConfigSchema = z
  .object({
    model_type: z.literal('bert').optional(),
    hidden_size: z.number().int().positive(),
    num_hidden_layers: z.number().int().positive(),
    num_attention_heads: z.number().int().positive(),
    intermediate_size: z.number().int().positive(),
    hidden_act: z.enum(['gelu']).default('gelu'),
    layer_norm_eps: z.number().positive().default(1e-12),
    max_position_embeddings: z.number().int().positive(),
    type_vocab_size: z.number().int().positive().default(2),
    vocab_size: z.number().int().positive(),
    position_embedding_type: z.literal('absolute').optional(),
    id2label: z.record(z.string().regex(/^\d+$/), z.string()).optional(),
    num_labels: z.number().int().positive().optional(),
  })
  .passthrough()
  .refine((c) => c.hidden_size % c.num_attention_heads === 0, {
    message: 'hidden_size must be a multiple of num_attention_heads',
  });

export type BertConfig = z.infer<typeof bertConfigSchema>;

export interface Linear {
  weight: FloatTensor;
  bias: FloatTensor;
}
export interface Norm {
  gamma: FloatTensor;
  beta: FloatTensor;
}
export interface BertLayerWeights {
  query: Linear;
  key: Linear;
  value: Linear;
  attentionOutput: Linear;
  attentionNorm: Norm;
  intermediate: Linear;
  output: Linear;
  outputNorm: Norm;
}
export interface BertWeights {
  config: BertConfig;
  wordEmbeddings: FloatTensor;
  positionEmbeddings: FloatTensor;
  tokenTypeEmbeddings: FloatTensor;
  embeddingNorm: Norm;
  layers: BertLayerWeights[];
  /** Absent in checkpoints trained without it (the prototype's BertForMultilabel never used it). */
  pooler?: Linear;
  /** Rows already in `LABELS` order. */
  classifier: Linear;
}

export function parseBertConfig(json: unknown, source = 'config.json'): BertConfig {
  const parsed = bertConfigSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(source, `not a supported BERT config:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

/**
 * For each classifier row, the `LABELS` index it predicts. Labels may be given in any order and in short or full
 * form; the exporter reorders the classifier rows so the graph's logits come out in `LABELS` order.
 */
export function labelOrder(config: BertConfig, source = 'config.json'): number[] {
  const id2label = config.id2label;
  if (!id2label) throw new ConfigError(source, `id2label is missing; expected the labels ${LABELS.join(', ')}`);
  const entries = Object.entries(id2label)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0]);
  const order = entries.map(([, name]) => labelIndex(name));
  const valid =
    entries.length === LABELS.length &&
    entries.every(([k], i) => k === i) &&
    order.every((x) => x !== undefined) &&
    new Set(order).size === LABELS.length;
  if (!valid) {
    throw new ConfigError(
      source,
      `id2label ${JSON.stringify(id2label)} must name exactly ${LABELS.join(', ')} (ids 0–3)`,
    );
  }
  return order as number[];
}

const WEIGHT_FILES = ['model.safetensors', 'pytorch_model.bin'] as const;

export interface LoadedCheckpoint {
  config: BertConfig;
  configBytes: Uint8Array;
  tensors: TensorMap;
  weightsFile: (typeof WEIGHT_FILES)[number];
  weightsBytes: Uint8Array;
}

export async function readCheckpointFolder(dir: string): Promise<LoadedCheckpoint> {
  const configPath = join(dir, 'config.json');
  let configBytes: Uint8Array;
  try {
    configBytes = await readFile(configPath);
  } catch (cause) {
    throw new ModelLoadError(`cannot read ${configPath}: is ${dir} a checkpoint folder?`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(configBytes));
  } catch (cause) {
    throw new ModelLoadError(`${configPath} is not valid JSON`, { cause });
  }
  const config = parseBertConfig(json, configPath);
  const weightsFile = WEIGHT_FILES.find((f) => existsSync(join(dir, f)));
  if (!weightsFile) {
    const sharded =
      existsSync(join(dir, 'model.safetensors.index.json')) || existsSync(join(dir, 'pytorch_model.bin.index.json'));
    throw new ModelLoadError(
      sharded
        ? `${dir} holds a sharded checkpoint; merge the shards into one model.safetensors first`
        : `${dir} has neither model.safetensors nor pytorch_model.bin`,
    );
  }
  const weightsBytes = await readFile(join(dir, weightsFile));
  const tensors =
    weightsFile === 'model.safetensors'
      ? readSafetensors(weightsBytes, join(dir, weightsFile))
      : readPytorchCheckpoint(weightsBytes, join(dir, weightsFile));
  return { config, configBytes, tensors, weightsFile, weightsBytes };
}

/**
 * Maps checkpoint parameter names onto the BERT structure, with or without the `bert.` prefix and with the
 * TF-era `gamma`/`beta` names, checking every shape against the config.
 */
export function toBertWeights(config: BertConfig, tensors: TensorMap, source = 'checkpoint'): BertWeights {
  const byName = new Map<string, FloatTensor>();
  for (const [name, t] of tensors) {
    const bare = name.startsWith('bert.') ? name.slice(5) : name;
    byName.set(bare.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias'), t);
  }
  const H = config.hidden_size;
  const get = (name: string, shape: number[]): FloatTensor => {
    const t = byName.get(name);
    if (!t) throw new ModelLoadError(`${source}: parameter ${name} (or bert.${name}) is missing`);
    const same = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
    if (!same)
      throw new ModelLoadError(
        `${source}: ${name} has shape [${t.shape.join(', ')}], config implies [${shape.join(', ')}]`,
      );
    return t;
  };
  const linear = (prefix: string, out: number, inp: number): Linear => ({
    weight: get(`${prefix}.weight`, [out, inp]),
    bias: get(`${prefix}.bias`, [out]),
  });
  const norm = (prefix: string): Norm => ({ gamma: get(`${prefix}.weight`, [H]), beta: get(`${prefix}.bias`, [H]) });
  const layers: BertLayerWeights[] = [];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `encoder.layer.${l}`;
    layers.push({
      query: linear(`${p}.attention.self.query`, H, H),
      key: linear(`${p}.attention.self.key`, H, H),
      value: linear(`${p}.attention.self.value`, H, H),
      attentionOutput: linear(`${p}.attention.output.dense`, H, H),
      attentionNorm: norm(`${p}.attention.output.LayerNorm`),
      intermediate: linear(`${p}.intermediate.dense`, config.intermediate_size, H),
      output: linear(`${p}.output.dense`, H, config.intermediate_size),
      outputNorm: norm(`${p}.output.LayerNorm`),
    });
  }
  const order = labelOrder(config);
  const rawClassifier = linear('classifier', LABELS.length, H);
  return {
    config,
    wordEmbeddings: get('embeddings.word_embeddings.weight', [config.vocab_size, H]),
    positionEmbeddings: get('embeddings.position_embeddings.weight', [config.max_position_embeddings, H]),
    tokenTypeEmbeddings: get('embeddings.token_type_embeddings.weight', [config.type_vocab_size, H]),
    embeddingNorm: norm('embeddings.LayerNorm'),
    layers,
    ...(byName.has('pooler.dense.weight') ? { pooler: linear('pooler.dense', H, H) } : {}),
    classifier: reorderRows(rawClassifier, order, H),
  };
}

/** Row r of the checkpoint's classifier predicts LABELS[order[r]]; the result has row i predicting LABELS[i]. */
function reorderRows(lin: Linear, order: number[], cols: number): Linear {
  const weight = new Float32Array(elementCount(lin.weight.shape));
  const bias = new Float32Array(lin.bias.data.length);
  order.forEach((target, r) => {
    weight.set(lin.weight.data.subarray(r * cols, (r + 1) * cols), target * cols);
    bias[target] = lin.bias.data[r]!;
  });
  return { weight: { shape: lin.weight.shape, data: weight }, bias: { shape: lin.bias.shape, data: bias } };
}
