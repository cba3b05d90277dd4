import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { type BertBackendConfig, parseBertBackendConfig } from '#core/bert/bertManifest.ts';
import { ConfigError, ModelLoadError } from '#core/errors.ts';
import { LABELS } from '#core/labels.ts';
import { type ModelManifest, manifestSchema } from '#core/manifestSchema.ts';
import { readCheckpointFolder, toBertWeights } from './bertCheckpoint.ts';
import { buildBertGraph, type GraphKind, type Head } from './bertGraph.ts';
import { downloadFromHub, type HubSourceOptions } from './hubSource.ts';
import { EXPORTER_VERSION } from './onnxGraph.ts';

export const exportOptionsSchema = z
  .object({
    /** A checkpoint folder, or `hub:<repo id>`. */
    from: z.string().min(1),
    out: z.string().min(1),
    head: z.enum(['cls', 'pooler']).default('cls'),
    /** `int8` writes both model.onnx and model_quantized.onnx; `none` only the fp32 one. */
    quantize: z.enum(['int8', 'none']).default('int8'),
    /**
     * Operator set per variant. `auto` follows scripts/bench-bert.ts on BERT-base (2-core AVX-512 VNNI machine, CPU
     * seconds per abstract): fp32 with onnxruntime's fused transformer operators (≈ 5 % less CPU than plain in every
     * run); int8 with the plain quantized graph, which onnxruntime fuses itself into quantized matmuls: the two int8
     * graphs measured within ±3 % of each other, and plain keeps per-column scales for Q/K/V (QAttention takes one
     * scale for all three), so it is the more accurate of the two. Plain also quantizes activations per token, so it
     * batches; the fused int8 graph's activation scale is per batch, so the backend runs it one text at a time.
     */
    graph: z.enum(['auto', 'plain', 'fused']).default('auto'),
    maxLength: z.number().int().min(3).max(512).default(256),
    name: z.string().min(1).optional(),
    version: z.string().min(1).default('1.0.0'),
  })
  .strict();

export type ExportOptions = z.input<typeof exportOptionsSchema>;

export interface ExportResult {
  outDir: string;
  manifest: ModelManifest;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** The operator set `--graph auto` picks per precision (see `graph` above). */
export const AUTO_GRAPH: Readonly<Record<'fp32' | 'int8', GraphKind>> = { fp32: 'fused', int8: 'plain' };

export const MODEL_FILES = { fp32: 'onnx/model.onnx', int8: 'onnx/model_quantized.onnx' } as const;
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'] as const;
/** The text the original model was trained and evaluated on (layers/core/text.ts). */
const TEXT_RECIPE = 'title + " " + abstract';

const thresholdsFileSchema = z
  .object(
    Object.fromEntries(LABELS.map((l) => [l, z.number().min(0).max(1)])) as Record<
      (typeof LABELS)[number],
      z.ZodNumber
    >,
  )
  .strict();

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * Checkpoint (folder or Hub) → transformers.js-layout model folder for the bert-onnx backend:
 * config.json, tokenizer files, onnx/model.onnx (+ onnx/model_quantized.onnx), model.json.
 * Nothing time- or machine-dependent is written: the same checkpoint gives byte-identical files.
 */
export async function exportModel(input: ExportOptions, hub: HubSourceOptions = {}): Promise<ExportResult> {
  const parsed = exportOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // Named as the command line spells it (maxLength → --max-length).
    const flag = String(issue.path[0] ?? 'options').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new ConfigError(`--${flag}`, issue.message);
  }
  const opts = parsed.data;
  const fromHub = opts.from.startsWith('hub:');
  const sourceDir = fromHub ? await downloadFromHub(opts.from.slice(4), hub) : resolve(opts.from);
  if (!fromHub && !existsSync(sourceDir)) throw new ConfigError('--from', `${sourceDir} does not exist`);
  const outDir = resolve(opts.out);

  const checkpoint = await readCheckpointFolder(sourceDir);
  const config = checkpoint.config;
  if (opts.maxLength > config.max_position_embeddings) {
    throw new ConfigError(
      '--max-length',
      `${opts.maxLength} exceeds the model's max_position_embeddings (${config.max_position_embeddings})`,
    );
  }
  const weights = toBertWeights(config, checkpoint.tensors, join(sourceDir, checkpoint.weightsFile));
  if (opts.head === 'pooler' && !weights.pooler) {
    throw new ModelLoadError(
      `--head pooler needs bert.pooler.dense.* weights, which ${checkpoint.weightsFile} lacks; use --head cls`,
    );
  }
  for (const file of TOKENIZER_FILES.slice(0, 2)) {
    if (!existsSync(join(sourceDir, file)))
      throw new ModelLoadError(
        `${join(sourceDir, file)} is missing: the model folder needs the tokenizer it was trained with`,
      );
  }

  await mkdir(join(outDir, 'onnx'), { recursive: true });
  const files: ExportResult['files'] = {};
  const write = async (relative: string, bytes: Uint8Array) => {
    await writeFile(join(outDir, relative), bytes);
    files[relative] = { bytes: bytes.byteLength, sha256: sha256(bytes) };
  };

  const graphs = {
    fp32: opts.graph === 'auto' ? AUTO_GRAPH.fp32 : opts.graph,
    int8: opts.graph === 'auto' ? AUTO_GRAPH.int8 : opts.graph,
  };
  await write(MODEL_FILES.fp32, buildBertGraph(weights, { head: opts.head, precision: 'fp32', graph: graphs.fp32 }));
  if (opts.quantize === 'int8') {
    await write(MODEL_FILES.int8, buildBertGraph(weights, { head: opts.head, precision: 'int8', graph: graphs.int8 }));
  }
  await write('config.json', checkpoint.configBytes);
  for (const file of TOKENIZER_FILES) {
    if (existsSync(join(sourceDir, file))) {
      await write(file, await readFile(join(sourceDir, file)));
    }
  }

  const thresholds = await readThresholds(sourceDir);
  const backendConfig: BertBackendConfig = {
    head: opts.head as Head,
    maxLength: opts.maxLength,
    precision: opts.quantize === 'int8' ? 'int8' : 'fp32',
    files: opts.quantize === 'int8' ? { ...MODEL_FILES } : { fp32: MODEL_FILES.fp32 },
    graph: opts.quantize === 'int8' ? graphs : { fp32: graphs.fp32 },
  };
  parseBertBackendConfig(backendConfig, 'the exporter');
  const manifest = manifestSchema.parse({
    name: opts.name ?? (fromHub ? opts.from.slice(4).split('/').pop() : basename(sourceDir)),
    version: opts.version,
    backend: 'bert-onnx',
    labels: [...LABELS],
    thresholds: thresholds.values,
    text: { recipe: TEXT_RECIPE },
    backendConfig,
    provenance: {
      source: fromHub ? opts.from : basename(sourceDir),
      weightsFile: checkpoint.weightsFile,
      weightsSha256: sha256(checkpoint.weightsBytes),
      configSha256: sha256(checkpoint.configBytes),
      architecture: `BertModel + Linear(hidden → 4) on ${opts.head === 'cls' ? 'the [CLS] hidden state' : 'the pooler output'}, sigmoid`,
      thresholdsFrom: thresholds.from,
      exporter: `layers/export@${EXPORTER_VERSION}`,
      onnx: Object.fromEntries(
        Object.entries(files)
          .filter(([f]) => f.startsWith('onnx/'))
          .map(([f, v]) => [f, v.sha256]),
      ),
    },
  });
  await writeFile(join(outDir, 'model.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { outDir, manifest, files };
}

async function readThresholds(dir: string): Promise<{ values: Record<(typeof LABELS)[number], number>; from: string }> {
  const path = join(dir, 'best_thresholds.json');
  if (!existsSync(path))
    return {
      values: Object.fromEntries(LABELS.map((l) => [l, 0.5])) as Record<(typeof LABELS)[number], number>,
      from: 'default 0.5',
    };
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ModelLoadError(`${path} is not valid JSON`, { cause });
  }
  const parsed = thresholdsFileSchema.safeParse(json);
  if (!parsed.success) throw new ModelLoadError(`${path} must map each of ${LABELS.join(', ')} to a number in [0, 1]`);
  return { values: parsed.data, from: 'best_thresholds.json' };
}
