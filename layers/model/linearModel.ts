import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { ModelLoadError } from '#core/errors.ts';
import type { TextExplanation } from '#core/explanation.ts';
import { LABELS } from '#core/labels.ts';
import type { ModelManifest } from '#core/manifest.ts';
import type { Backend, BackendLoader } from '#core/model.ts';
import { IDENTITY_PLATT } from './calibrator.ts';
import { Expert } from './expert.ts';
import { TEXT_KINDS, type TextKind } from './router.ts';
import { Vectorizer } from './vectorizer.ts';
import { decodeWeights, WEIGHTS_LAYOUT } from './weightsFile.ts';

/**
 * The `linear` backend (the embedded default model): one expert per kind of text, each hashed n-grams → vocabulary →
 * weighting → linear estimator → Platt calibration. `backendConfig` lists the experts; each expert's weights file is
 * stored in its in-memory layout (layers/model/weightsFile.ts), so loading is a read, a checksum and a few views.
 */

const labelVector = z.array(z.number()).check(z.length(LABELS.length));
const span = z.tuple([z.number().check(z.int(), z.positive()), z.number().check(z.int(), z.positive())]);

const vectorizerSchema = z.strictObject({
  hashBits: z.number().check(z.int(), z.minimum(10), z.maximum(24)),
  wordNgrams: span,
  charNgrams: span,
  sublinearTf: z.boolean(),
  weighting: z.optional(z.enum(['tfidf', 'binary'])),
  rowScalePower: z.optional(z.number().check(z.minimum(0), z.maximum(1))),
});

const expertSchema = z.looseObject({
  features: vectorizerSchema,
  weightsFile: z.string().check(z.minLength(1)),
  /** Absent in folders trained before layout 2 (layers/model/weightsFile.ts). */
  weightsLayout: z.optional(z.literal(WEIGHTS_LAYOUT)),
  /** Number of features (hash buckets) the expert uses. */
  buckets: z.number().check(z.int(), z.minimum(0)),
  bias: labelVector,
  weightsSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  calibration: z.optional(z.strictObject({ a: labelVector, b: labelVector })),
});

/** One expert per kind of text; the router (manifest `router`) picks it before any feature is extracted. */
export const linearConfigSchema = z.looseObject({
  experts: z.array(z.extend(expertSchema, { kinds: z.array(z.enum(TEXT_KINDS)).check(z.minLength(1)) })).check(
    z.minLength(1),
    z.superRefine((experts, ctx) => {
      for (const kind of TEXT_KINDS) {
        const n = experts.filter((e) => e.kinds.includes(kind)).length;
        if (n !== 1)
          ctx.addIssue({ code: 'custom', message: `needs exactly one expert for kind "${kind}", found ${n}` });
      }
    }),
  ),
});

export type LinearConfig = z.infer<typeof linearConfigSchema>;
export type ExpertConfig = z.infer<typeof expertSchema>;

/** Reads a file into memory it owns (no zero-fill, 16-byte aligned), the fastest read Node offers. */
async function readWhole(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const bytes = Buffer.allocUnsafeSlow(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await handle.read(bytes, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === size ? bytes : bytes.subarray(0, done);
  } finally {
    await handle.close();
  }
}

async function loadExpert(dir: string, config: ExpertConfig, kinds: readonly TextKind[]): Promise<Expert> {
  const path = join(dir, config.weightsFile);
  let bytes: Buffer;
  try {
    bytes = await readWhole(path);
  } catch (cause) {
    throw new ModelLoadError(`cannot read the weights ${path}`, { cause });
  }
  if (createHash('sha256').update(bytes).digest('hex') !== config.weightsSha256)
    throw new ModelLoadError(`${path} does not match the sha256 in model.json (corrupt or replaced file)`);
  const settings = config.features;
  const { index, idf, weights } = decodeWeights(bytes, {
    name: path,
    features: config.buckets,
    hashBits: settings.hashBits,
    layout: config.weightsLayout ?? 1,
    idf: settings.weighting !== 'binary',
  });
  const calibration = config.calibration ?? {
    a: LABELS.map(() => IDENTITY_PLATT.a),
    b: LABELS.map(() => IDENTITY_PLATT.b),
  };
  return new Expert(
    kinds,
    new Vectorizer(settings, index, idf),
    { weights, bias: Float64Array.from(config.bias) },
    { a: Float64Array.from(calibration.a), b: Float64Array.from(calibration.b) },
  );
}

/** The experts a `backendConfig` describes: one per kind, or (the first single-model layout) one for every kind. */
function expertConfigs(raw: Record<string, unknown>, where: string): { config: ExpertConfig; kinds: TextKind[] }[] {
  const invalid = (issues: string) =>
    new ModelLoadError(`${where}: invalid backendConfig for the linear backend: ${issues}`);
  if ('experts' in raw) {
    const parsed = linearConfigSchema.safeParse(raw);
    if (!parsed.success) throw invalid(z.prettifyError(parsed.error));
    return parsed.data.experts.map((e) => ({ config: e, kinds: [...e.kinds] }));
  }
  const parsed = expertSchema.safeParse(raw);
  if (!parsed.success) throw invalid(z.prettifyError(parsed.error));
  return [{ config: parsed.data, kinds: [...TEXT_KINDS] }];
}

export const loadLinearModel: BackendLoader = async (dir, manifest: ModelManifest): Promise<Backend> => {
  const configs = expertConfigs(manifest.backendConfig, join(dir, 'model.json'));
  const experts = await Promise.all(configs.map(({ config, kinds }) => loadExpert(dir, config, kinds)));
  const byKind = Object.fromEntries(TEXT_KINDS.map((k) => [k, experts.find((e) => e.kinds.includes(k))!])) as Record<
    TextKind,
    Expert
  >;
  const L = LABELS.length;
  return {
    canExplain: true,
    // Synchronous and allocation-light: one text costs microseconds, so batching buys nothing here.
    async score(texts, kinds, explain) {
      const logits = new Float64Array(texts.length * L);
      const explanations: TextExplanation[] | undefined = explain ? [] : undefined;
      for (let i = 0; i < texts.length; i++) {
        const expert = byKind[kinds[i]!];
        if (explanations) explanations.push(expert.explain(texts[i]!, logits, i * L));
        else expert.score(texts[i]!, logits, i * L);
      }
      const proba = logits.map((z) => 1 / (1 + Math.exp(-z)));
      return { logits, proba, ...(explanations ? { explanations } : {}) };
    },
    async dispose() {},
  };
};
