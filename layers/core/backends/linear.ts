import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from '../errors.ts';
import { LABELS } from '../labels.ts';
import type { ModelManifest } from '../manifest.ts';
import type { BackendLoader, Model } from '../model.ts';
import type { TextExplanation } from '../explanation.ts';
import { normalizeWithOffsets } from '../textOffsets.ts';
import { attribute, type ScoredBlock } from './linear/explain.ts';
import { FeatureExtractor, normalizeText, type FeatureConfig, type RawFeatures } from './linear/features.ts';

/**
 * The embedded default model: hashed TF-IDF (word 1–2-grams, char_wb n-grams) and one NB-weighted logistic
 * regression per label. Weights ship as one little-endian binary file; at load time they are expanded into
 * dense arrays over the hash space so that prediction is a handful of array reads per n-gram.
 */

export const linearConfigSchema = z.object({
  features: z.object({
    hashBits: z.number().int().min(10).max(24),
    wordNgrams: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
    charNgrams: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
    sublinearTf: z.boolean(),
  }).strict(),
  weightsFile: z.string().min(1),
  /** Number of hash buckets the model uses. */
  buckets: z.number().int().nonnegative(),
  bias: z.array(z.number()).length(LABELS.length),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
}).passthrough();

export type LinearConfig = z.infer<typeof linearConfigSchema>;

/**
 * Layout of the weights file: `buckets` × uint32 (ascending hash buckets), then `buckets` × float32 (IDF),
 * then `buckets` × 4 × float32 (effective weights, feature-major, labels interleaved).
 */
export function encodeWeights(buckets: Int32Array, idf: ArrayLike<number>, weights: ArrayLike<number>): Buffer {
  const n = buckets.length;
  const buffer = Buffer.alloc(n * 4 + n * 4 + n * LABELS.length * 4);
  for (let i = 0; i < n; i++) buffer.writeUInt32LE(buckets[i]! >>> 0, i * 4);
  for (let i = 0; i < n; i++) buffer.writeFloatLE(idf[i]!, n * 4 + i * 4);
  for (let i = 0; i < n * LABELS.length; i++) buffer.writeFloatLE(weights[i]!, n * 8 + i * 4);
  return buffer;
}

/**
 * Everything prediction needs. Only ~10% of the hash space is used, so buckets map to compact ids and each used
 * feature's IDF and four weights sit together: one random read into a 4 MB map, then one cache line, instead of
 * several reads scattered over tens of MB.
 */
export interface LinearScorer {
  config: FeatureConfig;
  /** bucket → compact id, or -1 for a bucket the model does not use. */
  compactOf: Int32Array;
  /** Per compact id: idf, then the four effective weights (stride 5). */
  params: Float32Array;
  bias: Float64Array;
}

const STRIDE = 1 + LABELS.length;

export function decodeWeights(buffer: Buffer, config: LinearConfig): LinearScorer {
  const n = config.buckets;
  const L = LABELS.length;
  const expected = n * 4 * (2 + L);
  if (buffer.length !== expected) throw new ModelLoadError(`${config.weightsFile}: expected ${expected} bytes for ${n} buckets, found ${buffer.length}`);
  const size = 1 << config.features.hashBits;
  const compactOf = new Int32Array(size).fill(-1);
  const params = new Float32Array(n * STRIDE);
  for (let i = 0; i < n; i++) {
    const bucket = buffer.readUInt32LE(i * 4);
    if (bucket >= size) throw new ModelLoadError(`${config.weightsFile}: bucket ${bucket} outside the hash space`);
    compactOf[bucket] = i;
    params[i * STRIDE] = buffer.readFloatLE(n * 4 + i * 4);
    for (let l = 0; l < L; l++) params[i * STRIDE + 1 + l] = buffer.readFloatLE(n * 8 + (i * L + l) * 4);
  }
  return { config: config.features, compactOf, params, bias: Float64Array.from(config.bias) };
}

/** Probabilities of one text: per block TF-IDF, L2-normalised, dotted with the weights, then a sigmoid. */
export class LinearPredictor {
  private readonly extractor: FeatureExtractor;
  private readonly scorer: LinearScorer;
  private readonly seen: Int32Array;
  private readonly counts: Float64Array;
  private stamp = 0;
  private readonly touched: number[] = [];

  constructor(scorer: LinearScorer) {
    this.scorer = scorer;
    this.extractor = new FeatureExtractor(scorer.config);
    // Per-feature scratch: `seen` holds the stamp of the block that last touched a feature, so nothing needs clearing.
    const features = scorer.params.length / STRIDE;
    this.seen = new Int32Array(features);
    this.counts = new Float64Array(features);
  }

  predict(text: string): Float64Array {
    const scores = this.logits(text);
    for (let l = 0; l < scores.length; l++) scores[l] = 1 / (1 + Math.exp(-scores[l]!));
    return scores;
  }

  /** The scores `predict` passes through the sigmoid. */
  logits(text: string): Float64Array {
    return this.score(this.extractor.extract(normalizeText(text)));
  }

  private score(raw: RawFeatures): Float64Array {
    const scores = Float64Array.from(this.scorer.bias);
    this.block(raw.word, scores);
    this.block(raw.char, scores);
    return scores;
  }

  /**
   * Evidence for the text's scores: the traced extractor yields the very occurrences `predict` sees (tested), scored
   * by the same `score`, and each used feature's value is the one `block` computes.
   */
  explain(text: string): TextExplanation {
    this.tracer ??= new FeatureExtractor(this.scorer.config, { origins: true });
    const map = normalizeWithOffsets(text, normalizeText);
    const raw = this.tracer.extract(map.text);
    const logit = this.score(raw);
    const blocks = [this.scoredBlock('word', raw.word), this.scoredBlock('char', raw.char)];
    return attribute(map, this.tracer.origins(), blocks, this.scorer.bias, logit);
  }

  private tracer: FeatureExtractor | undefined;
  // Explanation scratch: the block-local slot of each feature id, valid where `slotStamp` holds the current stamp.
  private slotStamp: Int32Array | undefined;
  private slotOfId: Int32Array | undefined;

  /** One block as `block` scores it: per distinct used feature, its L2-normalised TF-IDF value and its weights. */
  private scoredBlock(kind: ScoredBlock['kind'], occurrences: Int32Array): ScoredBlock {
    const { compactOf, params } = this.scorer;
    const L = LABELS.length;
    this.slotStamp ??= new Int32Array(this.seen.length);
    this.slotOfId ??= new Int32Array(this.seen.length);
    const stamp = ++this.stamp;
    const slotOf = new Int32Array(occurrences.length);
    const ids: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < occurrences.length; i++) {
      const id = compactOf[occurrences[i]!]!;
      if (id < 0) {
        slotOf[i] = -1;
        continue;
      }
      if (this.slotStamp[id] !== stamp) {
        this.slotStamp[id] = stamp;
        this.slotOfId[id] = ids.length;
        ids.push(id);
        counts.push(0);
      }
      const slot = this.slotOfId[id]!;
      counts[slot]! += 1;
      slotOf[i] = slot;
    }
    const value = new Float64Array(ids.length);
    const weights = new Float64Array(ids.length * L);
    let norm = 0;
    for (let slot = 0; slot < ids.length; slot++) {
      const base = ids[slot]! * STRIDE;
      const tf = this.scorer.config.sublinearTf ? 1 + Math.log(counts[slot]!) : counts[slot]!;
      value[slot] = tf * params[base]!;
      norm += value[slot]! * value[slot]!;
      for (let l = 0; l < L; l++) weights[slot * L + l] = params[base + 1 + l]!;
    }
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let slot = 0; slot < value.length; slot++) value[slot]! *= inv;
    }
    return { kind, slotOf, value, weights };
  }

  private block(occurrences: Int32Array, scores: Float64Array): void {
    const { compactOf, params } = this.scorer;
    const sublinear = this.scorer.config.sublinearTf;
    const stamp = ++this.stamp;
    const touched = this.touched;
    touched.length = 0;
    for (let i = 0; i < occurrences.length; i++) {
      const id = compactOf[occurrences[i]!]!;
      if (id < 0) continue;
      if (this.seen[id] !== stamp) {
        this.seen[id] = stamp;
        this.counts[id] = 1;
        touched.push(id);
      } else {
        this.counts[id]! += 1;
      }
    }
    let norm = 0;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let t = 0; t < touched.length; t++) {
      const id = touched[t]!;
      const base = id * STRIDE;
      const tf = sublinear ? 1 + Math.log(this.counts[id]!) : this.counts[id]!;
      const v = tf * params[base]!;
      norm += v * v;
      s0 += v * params[base + 1]!;
      s1 += v * params[base + 2]!;
      s2 += v * params[base + 3]!;
      s3 += v * params[base + 4]!;
    }
    if (norm === 0) return;
    const inv = 1 / Math.sqrt(norm);
    scores[0]! += s0 * inv;
    scores[1]! += s1 * inv;
    scores[2]! += s2 * inv;
    scores[3]! += s3 * inv;
  }
}

export const loadLinearModel: BackendLoader = async (dir, manifest: ModelManifest): Promise<Model> => {
  const parsed = linearConfigSchema.safeParse(manifest.backendConfig);
  if (!parsed.success) {
    throw new ModelLoadError(`${join(dir, 'model.json')}: invalid backendConfig for the linear backend: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const config = parsed.data;
  let buffer: Buffer;
  try {
    buffer = await readFile(join(dir, config.weightsFile));
  } catch (cause) {
    throw new ModelLoadError(`cannot read the weights ${join(dir, config.weightsFile)}`, { cause });
  }
  const { createHash } = await import('node:crypto');
  const sha = createHash('sha256').update(buffer).digest('hex');
  if (sha !== config.weightsSha256) throw new ModelLoadError(`${join(dir, config.weightsFile)} does not match the sha256 in model.json (corrupt or replaced file)`);
  const predictor = new LinearPredictor(decodeWeights(buffer, config));
  return {
    manifest,
    dir,
    // Synchronous and allocation-light: one text costs tens of microseconds, so batching buys nothing here.
    async predictProba(texts) {
      return texts.map((t) => predictor.predict(t));
    },
    async explain(texts) {
      return texts.map((t) => predictor.explain(t));
    },
    async dispose() {},
  };
};
