import { access } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { parseBertBackendConfig } from '../bert/bertManifest.ts';
import { type BertTokenizer, loadBertTokenizer } from '../bert/tokenizer.ts';
import { ModelLoadError } from '../errors.ts';
import { LABELS } from '../labels.ts';
import type { Backend, BackendLoader } from '../model.ts';

/**
 * The `bert-onnx` backend: BERT exported to ONNX (layers/export), run with onnxruntime-node. This is the only module
 * that imports onnxruntime. The session is created once per model and checked against its declared inputs; texts
 * are tokenized, sorted by length so each batch pads little, run, and the probabilities returned in input order.
 */

const DEFAULT_BATCH_SIZE = 8;
const REQUIRED_INPUTS = ['input_ids', 'attention_mask'] as const;
const OPTIONAL_INPUTS = ['token_type_ids'] as const;
const OUTPUT = 'logits';

export const loadBertOnnxModel: BackendLoader = async (dir, manifest, options) => {
  const where = join(dir, 'model.json');
  const config = parseBertBackendConfig(manifest.backendConfig, where);
  const precision = options.precision ?? config.precision;
  const file = precision === 'int8' ? config.files.int8 : config.files.fp32;
  if (!file) throw new ModelLoadError(`${where} has no ${precision} model file (backendConfig.files.${precision})`);
  const modelPath = join(dir, file);
  try {
    await access(modelPath);
  } catch (cause) {
    throw new ModelLoadError(`${modelPath} is missing (named by ${where})`, { cause });
  }
  const batchSize = options.batchSize ?? config.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ModelLoadError(`batchSize must be a positive integer, got ${batchSize}`);
  const threads = options.threads ?? availableParallelism();
  // The fused int8 graph's QAttention and DynamicQuantizeMatMul quantize activations with one scale per tensor, i.e.
  // per batch, so a text's scores would depend on its batch-mates and their padding: such a graph gets one text per
  // run. The plain int8 graph quantizes per token (layers/export/bertGraph.ts) and batches like fp32.
  const textsPerRun = precision === 'int8' && config.graph?.int8 === 'fused' ? 1 : batchSize;

  const tokenizer = await loadBertTokenizer(dir, config.maxLength);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: threads,
      // One graph, run one batch at a time: parallelism comes from inside the operators.
      interOpNumThreads: 1,
      executionMode: 'sequential',
      // Warnings (e.g. about unused initializers) are not actionable at run time.
      logSeverityLevel: 3,
    });
  } catch (cause) {
    throw new ModelLoadError(`onnxruntime cannot load ${modelPath}: ${(cause as Error).message}`, { cause });
  }
  const inputs = checkSession(session, modelPath);
  return new BertOnnxModel(dir, tokenizer, session, inputs, textsPerRun);
};

function checkSession(session: ort.InferenceSession, modelPath: string): Set<string> {
  const names = new Set(session.inputNames);
  const missing = REQUIRED_INPUTS.filter((n) => !names.has(n));
  const unknown = [...names].filter(
    (n) => !(REQUIRED_INPUTS as readonly string[]).includes(n) && !(OPTIONAL_INPUTS as readonly string[]).includes(n),
  );
  if (missing.length > 0 || unknown.length > 0) {
    throw new ModelLoadError(
      `${modelPath} has inputs [${session.inputNames.join(', ')}]; expected input_ids, attention_mask and optionally token_type_ids`,
    );
  }
  if (!session.outputNames.includes(OUTPUT)) {
    throw new ModelLoadError(`${modelPath} has outputs [${session.outputNames.join(', ')}]; expected ${OUTPUT}`);
  }
  return names;
}

class BertOnnxModel implements Backend {
  readonly canExplain = false;
  // onnxruntime parallelises inside each run; overlapping runs would only fight over the same cores.
  private running: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    readonly dir: string,
    private readonly tokenizer: BertTokenizer,
    private readonly session: ort.InferenceSession,
    private readonly inputs: Set<string>,
    private readonly batchSize: number,
  ) {}

  /** Logits and probabilities in input order; BERT has one network for every kind of text. */
  async score(texts: readonly string[]): Promise<{ logits: Float64Array; proba: Float64Array }> {
    const L = LABELS.length;
    const logits = new Float64Array(texts.length * L);
    const batches = await this.logitsOf(texts);
    batches.forEach((row, i) => {
      logits.set(row, i * L);
    });
    return { logits, proba: logits.map(sigmoid) };
  }

  private async logitsOf(texts: readonly string[]): Promise<Float64Array[]> {
    if (this.disposed) throw new ModelLoadError(`the model in ${this.dir} has been disposed`);
    const encoded = texts.map((t) => this.tokenizer.encode(t));
    // Longest first, ties by input position, so batching is deterministic.
    const order = encoded.map((_, i) => i).sort((a, b) => encoded[b]!.length - encoded[a]!.length || a - b);
    const results = new Array<Float64Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const indices = order.slice(start, start + this.batchSize);
      const probas = await this.serialised(() => this.runBatch(indices.map((i) => encoded[i]!)));
      indices.forEach((original, k) => {
        results[original] = probas[k]!;
      });
    }
    return results;
  }

  private serialised<T>(task: () => Promise<T>): Promise<T> {
    const next = this.running.then(task, task);
    this.running = next.catch(() => undefined);
    return next;
  }

  private async runBatch(batch: number[][]): Promise<Float64Array[]> {
    const rows = batch.length;
    const width = Math.max(...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(rows * width).fill(BigInt(this.tokenizer.padId));
    const mask = new BigInt64Array(rows * width);
    batch.forEach((seq, r) => {
      seq.forEach((id, c) => {
        ids[r * width + c] = BigInt(id);
        mask[r * width + c] = 1n;
      });
    });
    const dims = [rows, width];
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', ids, dims),
      attention_mask: new ort.Tensor('int64', mask, dims),
    };
    if (this.inputs.has('token_type_ids'))
      feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(rows * width), dims);
    const output = (await this.session.run(feeds))[OUTPUT];
    if (
      output?.type !== 'float32' ||
      output.dims.length !== 2 ||
      output.dims[0] !== rows ||
      output.dims[1] !== LABELS.length
    ) {
      throw new ModelLoadError(
        `${this.dir}: logits came back as ${output?.type} [${output?.dims.join(', ')}], expected float32 [${rows}, ${LABELS.length}]`,
      );
    }
    const logits = output.data as Float32Array;
    return batch.map((_, r) => Float64Array.from(logits.subarray(r * LABELS.length, (r + 1) * LABELS.length)));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.running;
    await this.session.release();
  }
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
