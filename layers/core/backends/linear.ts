import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelLoadError } from '../errors.ts';
import { affineExplanation, type TextExplanation } from '../explanation.ts';
import { kindOf, SNIPPET_MAX_TOKENS, TEXT_KINDS, type TextKind } from '../kinds.ts';
import { LABELS } from '../labels.ts';
import type { ModelManifest } from '../manifest.ts';
import type { BackendLoader, Model } from '../model.ts';
import { normalizeWithOffsets } from '../textOffsets.ts';
import { attribute, type ScoredBlock } from './linear/explain.ts';
import { type FeatureConfig, FeatureExtractor, normalizeText, type RawFeatures } from './linear/features.ts';

/**
 * The embedded default model: hashed TF-IDF (word 1–2-grams, char_wb n-grams) and one NB-weighted logistic
 * regression per label. Weights ship as one little-endian binary file; at load time they are expanded into
 * dense arrays over the hash space so that prediction is a handful of array reads per n-gram.
 */

const featuresSchema = z
  .object({
    hashBits: z.number().int().min(10).max(24),
    wordNgrams: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
    charNgrams: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
    sublinearTf: z.boolean(),
    weighting: z.enum(['tfidf', 'binary']).optional(),
    rowScalePower: z.number().min(0).max(1).optional(),
  })
  .strict();

const labelVector = z.array(z.number()).length(LABELS.length);

/** One linear model: its features, weights file and bias; `calibration` maps its logit z to a·z + b per label. */
const expertSchema = z
  .object({
    features: featuresSchema,
    weightsFile: z.string().min(1),
    /** Number of hash buckets the model uses. */
    buckets: z.number().int().nonnegative(),
    bias: labelVector,
    weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
    calibration: z.object({ a: labelVector, b: labelVector }).strict().optional(),
  })
  .passthrough();

/** The original single-model layout: one expert for every kind of text, uncalibrated. */
export const linearConfigSchema = expertSchema;

/** One expert per kind of text (layers/core/kinds.ts), chosen by the router before any feature is extracted. */
export const routedConfigSchema = z
  .object({
    router: z
      .object({
        rule: z.string(),
        kinds: z.array(z.enum(TEXT_KINDS)).length(TEXT_KINDS.length),
        snippetMaxTokens: z.number().int().positive(),
      })
      .passthrough(),
    experts: z.array(expertSchema.extend({ kinds: z.array(z.enum(TEXT_KINDS)).min(1) })).min(1),
  })
  .passthrough()
  .superRefine((config, ctx) => {
    for (const kind of TEXT_KINDS) {
      const n = config.experts.filter((e) => e.kinds.includes(kind)).length;
      if (n !== 1)
        ctx.addIssue({
          code: 'custom',
          path: ['experts'],
          message: `needs exactly one expert for kind "${kind}", found ${n}`,
        });
    }
  });

export type RoutedConfig = z.infer<typeof routedConfigSchema>;
export type ExpertConfig = z.infer<typeof expertSchema>;
export type LinearConfig = ExpertConfig;

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

export function decodeWeights(buffer: Buffer, config: ExpertConfig): LinearScorer {
  const n = config.buckets;
  const L = LABELS.length;
  const expected = n * 4 * (2 + L);
  if (buffer.length !== expected)
    throw new ModelLoadError(
      `${config.weightsFile}: expected ${expected} bytes for ${n} buckets, found ${buffer.length}`,
    );
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

  /** The four logits (bias + features · weights) of one text, before any sigmoid or calibration. */
  logits(text: string): Float64Array {
    return this.score(this.extractor.extract(normalizeText(text)));
  }

  private score(raw: RawFeatures): Float64Array {
    const scores = Float64Array.from(this.scorer.bias);
    if (this.scorer.config.weighting === 'binary') {
      this.binary(raw.word, raw.char, scores);
    } else {
      this.block(raw.word, scores);
      this.block(raw.char, scores);
    }
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
    if (this.scorer.config.weighting === 'binary') {
      // Binary presence: every distinct feature of either block is worth nnz^-power, nnz counted over both blocks.
      const present = blocks[0]!.value.length + blocks[1]!.value.length;
      const scale = present > 0 ? present ** -(this.scorer.config.rowScalePower ?? 0) : 0;
      for (const block of blocks) block.value.fill(scale);
    }
    return attribute(map, this.tracer.origins(), blocks, this.scorer.bias, logit);
  }

  private tracer: FeatureExtractor | undefined;
  // Explanation scratch: the block-local slot of each feature id, valid where `slotStamp` holds the current stamp.
  private slotStamp: Int32Array | undefined;
  private slotOfId: Int32Array | undefined;

  /** One block as `logits` scores it: per distinct used feature, its value (L2-normalised TF-IDF) and its weights. */
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

  /** Binary presence: the sum of the weights of every distinct feature per block, scaled by nnz^-power. */
  private binary(word: Int32Array, char: Int32Array, scores: Float64Array): void {
    const { params } = this.scorer;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
    let present = 0;
    for (const block of [word, char]) {
      present += this.distinct(block);
      const touched = this.touched;
      for (let t = 0; t < touched.length; t++) {
        const base = touched[t]! * STRIDE;
        s0 += params[base + 1]!;
        s1 += params[base + 2]!;
        s2 += params[base + 3]!;
        s3 += params[base + 4]!;
      }
    }
    if (present === 0) return;
    const scale = present ** -(this.scorer.config.rowScalePower ?? 0);
    scores[0]! += s0 * scale;
    scores[1]! += s1 * scale;
    scores[2]! += s2 * scale;
    scores[3]! += s3 * scale;
  }

  /** Collects the distinct in-vocabulary features of one block into `touched` (counts in `counts`); returns how many. */
  private distinct(occurrences: Int32Array): number {
    const { compactOf } = this.scorer;
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
    return touched.length;
  }

  private block(occurrences: Int32Array, scores: Float64Array): void {
    const { params } = this.scorer;
    const sublinear = this.scorer.config.sublinearTf;
    this.distinct(occurrences);
    const touched = this.touched;
    let norm = 0;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0;
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

/** One expert ready to score: its predictor and its per-label calibration (identity when absent). */
export interface LoadedExpert {
  kinds: readonly TextKind[];
  predictor: LinearPredictor;
  a: Float64Array;
  b: Float64Array;
}

/** Routes each text to the expert of its kind and returns calibrated probabilities: one sparse pass per text. */
export class RoutedPredictor {
  private readonly byKind: Record<TextKind, LoadedExpert>;
  constructor(
    experts: readonly LoadedExpert[],
    readonly snippetMaxTokens: number,
  ) {
    const find = (kind: TextKind) => experts.find((e) => e.kinds.includes(kind))!;
    this.byKind = { real: find('real'), template: find('template'), snippet: find('snippet') };
  }

  kindOf(text: string): TextKind {
    return kindOf(text, this.snippetMaxTokens);
  }

  expertFor(text: string): LoadedExpert {
    return this.byKind[this.kindOf(text)];
  }

  predict(text: string): Float64Array {
    const expert = this.expertFor(text);
    const z = expert.predictor.logits(text);
    for (let l = 0; l < z.length; l++) z[l] = 1 / (1 + Math.exp(-(expert.a[l]! * z[l]! + expert.b[l]!)));
    return z;
  }

  /**
   * Evidence for the calibrated score actually used: Platt scaling is affine per label (a·z + b), so the explained
   * logit is a·z + b, its bias a·bias + b, and every word's contribution is scaled by a; the sum stays exact.
   */
  explain(text: string): TextExplanation {
    const expert = this.expertFor(text);
    const raw = expert.predictor.explain(text);
    const logit = Float64Array.from(raw.logit, (z, l) => expert.a[l]! * z + expert.b[l]!);
    return affineExplanation(raw, expert.a, expert.b, logit);
  }
}

async function loadExpert(dir: string, config: ExpertConfig, kinds: readonly TextKind[]): Promise<LoadedExpert> {
  let buffer: Buffer;
  try {
    buffer = await readFile(join(dir, config.weightsFile));
  } catch (cause) {
    throw new ModelLoadError(`cannot read the weights ${join(dir, config.weightsFile)}`, { cause });
  }
  const sha = createHash('sha256').update(buffer).digest('hex');
  if (sha !== config.weightsSha256)
    throw new ModelLoadError(
      `${join(dir, config.weightsFile)} does not match the sha256 in model.json (corrupt or replaced file)`,
    );
  return {
    kinds,
    predictor: new LinearPredictor(decodeWeights(buffer, config)),
    a: Float64Array.from(config.calibration?.a ?? [1, 1, 1, 1]),
    b: Float64Array.from(config.calibration?.b ?? [0, 0, 0, 0]),
  };
}

export const loadLinearModel: BackendLoader = async (dir, manifest: ModelManifest): Promise<Model> => {
  const invalid = (issues: string) =>
    new ModelLoadError(`${join(dir, 'model.json')}: invalid backendConfig for the linear backend: ${issues}`);
  let predictor: RoutedPredictor;
  if ('experts' in manifest.backendConfig) {
    const parsed = routedConfigSchema.safeParse(manifest.backendConfig);
    if (!parsed.success) throw invalid(z.prettifyError(parsed.error));
    const experts = await Promise.all(parsed.data.experts.map((e) => loadExpert(dir, e, e.kinds)));
    predictor = new RoutedPredictor(experts, parsed.data.router.snippetMaxTokens);
  } else {
    const parsed = linearConfigSchema.safeParse(manifest.backendConfig);
    if (!parsed.success) throw invalid(z.prettifyError(parsed.error));
    predictor = new RoutedPredictor([await loadExpert(dir, parsed.data, TEXT_KINDS)], SNIPPET_MAX_TOKENS);
  }
  return {
    manifest,
    dir,
    // Synchronous and allocation-light: one text costs tens of microseconds, so batching buys nothing here.
    async predictProba(texts) {
      return texts.map((t) => predictor.predict(t));
    },
    kindOf: (text) => predictor.kindOf(text),
    async explain(texts) {
      return texts.map((t) => predictor.explain(t));
    },
    async dispose() {},
  };
};
