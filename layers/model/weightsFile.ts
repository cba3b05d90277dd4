import { LITTLE_ENDIAN } from '#core/endianness.ts';
import { ModelLoadError } from '#core/errors.ts';
import { LABELS } from '#core/labels.ts';
import { FeatureIndex } from './featureIndex.ts';

/**
 * An expert's weights file. Layout 2 (written by the trainer since routing became data) is the in-memory layout
 * itself, little-endian, each section 16-byte aligned, so loading is one read and a few typed-array views: no
 * per-float reads, no copies, no tables to fill.
 *
 *   header,  8 × uint32: magic "CLW2", layout 2, features n, labels, hashBits, flags (bit 0: IDF), 0, 0
 *   index:   2^hashBits / 32 × [bits, rank] int32  the vocabulary's rank bitmap (layers/model/featureIndex.ts)
 *   idf:     n × float32                            TF-IDF experts only (binary presence has no IDF)
 *   weights: n × labels × float32                   effective weights (w∘r), feature-major, labels interleaved
 *
 * Layout 1 (folders trained before): n × uint32 ascending buckets, n × float32 IDF, n × labels × float32 weights;
 * still read (IDF and weights through views; the index is built from the buckets).
 */

export const WEIGHTS_LAYOUT = 2;
const MAGIC = 0x3257_4c43; // "CLW2" read as a little-endian uint32
const HEADER_WORDS = 8;
const HAS_IDF = 1;

/** What an expert's weights file holds: its vocabulary and, per feature id, IDF and weights. */
export interface ExpertWeights {
  index: FeatureIndex;
  /** TF-IDF experts; absent for binary presence. */
  idf: Float32Array | undefined;
  /** `LABELS.length` weights a feature. */
  weights: Float32Array;
}

const align16 = (bytes: number): number => Math.ceil(bytes / 16) * 16;

function sections(hashBits: number, features: number, hasIdf: boolean) {
  const index = HEADER_WORDS * 4;
  const idf = align16(index + FeatureIndex.tableLength(hashBits) * 4);
  const weights = align16(idf + (hasIdf ? features * 4 : 0));
  return { index, idf, weights, end: weights + features * LABELS.length * 4 };
}

/** Layout 2 bytes for a vocabulary (ascending buckets), its IDF (omitted for binary presence) and its weights. */
export function encodeWeights(
  buckets: ArrayLike<number>,
  hashBits: number,
  idf: ArrayLike<number> | undefined,
  weights: ArrayLike<number>,
): Buffer {
  const index = FeatureIndex.build(buckets, hashBits);
  const n = buckets.length;
  const at = sections(hashBits, n, idf !== undefined);
  const bytes = Buffer.alloc(at.end);
  [MAGIC, WEIGHTS_LAYOUT, n, LABELS.length, hashBits, idf ? HAS_IDF : 0].forEach((word, i) => {
    bytes.writeUInt32LE(word, i * 4);
  });
  index.table.forEach((word, i) => {
    bytes.writeInt32LE(word, at.index + i * 4);
  });
  if (idf) for (let i = 0; i < n; i++) bytes.writeFloatLE(idf[i]!, at.idf + i * 4);
  for (let i = 0; i < n * LABELS.length; i++) bytes.writeFloatLE(weights[i]!, at.weights + i * 4);
  return bytes;
}

/** Typed-array views need the host's byte order to be the file's (every Lambda architecture is little-endian). */
function aligned(bytes: Uint8Array): Uint8Array {
  if (!LITTLE_ENDIAN) throw new ModelLoadError('model weights files are little-endian; this host is not');
  if (bytes.byteOffset % 16 === 0) return bytes;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy;
}

export interface ExpectedWeights {
  /** For messages: the file's path. */
  name: string;
  features: number;
  hashBits: number;
  layout: number;
  idf: boolean;
}

export function decodeWeights(file: Uint8Array, expected: ExpectedWeights): ExpertWeights {
  const bytes = aligned(file);
  const fail = (why: string) => new ModelLoadError(`${expected.name}: ${why}`);
  const L = LABELS.length;
  const view = (offset: number, length: number) => new Float32Array(bytes.buffer, bytes.byteOffset + offset, length);
  if (expected.layout === 1) {
    const n = expected.features;
    if (bytes.length !== n * 4 * (2 + L))
      throw fail(`expected ${n * 4 * (2 + L)} bytes for ${n} buckets, found ${bytes.length}`);
    let index: FeatureIndex;
    try {
      index = FeatureIndex.build(new Uint32Array(bytes.buffer, bytes.byteOffset, n), expected.hashBits);
    } catch (cause) {
      throw fail((cause as Error).message);
    }
    return { index, idf: expected.idf ? view(n * 4, n) : undefined, weights: view(n * 8, n * L) };
  }
  if (expected.layout !== WEIGHTS_LAYOUT) throw fail(`unknown weights layout ${expected.layout}`);
  if (bytes.length < HEADER_WORDS * 4) throw fail('too short for a weights file');
  const [magic, layout, n, labels, hashBits, flags] = new Uint32Array(bytes.buffer, bytes.byteOffset, HEADER_WORDS);
  if (magic !== MAGIC || layout !== WEIGHTS_LAYOUT) throw fail('not a layout-2 weights file');
  const hasIdf = (flags! & HAS_IDF) !== 0;
  if (n !== expected.features || labels !== L || hashBits !== expected.hashBits || hasIdf !== expected.idf)
    throw fail(
      `the file holds ${n} features × ${labels} labels over 2^${hashBits} buckets${hasIdf ? ' with IDF' : ''}; ` +
        `model.json expects ${expected.features} × ${L} over 2^${expected.hashBits}${expected.idf ? ' with IDF' : ''}`,
    );
  const at = sections(hashBits!, n!, hasIdf);
  if (bytes.length !== at.end) throw fail(`expected ${at.end} bytes, found ${bytes.length}`);
  const table = new Int32Array(bytes.buffer, bytes.byteOffset + at.index, FeatureIndex.tableLength(hashBits!));
  return {
    index: new FeatureIndex(table, n!, hashBits!),
    idf: hasIdf ? view(at.idf, n!) : undefined,
    weights: view(at.weights, n! * L),
  };
}
