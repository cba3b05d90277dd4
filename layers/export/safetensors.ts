import { z } from 'zod';
import { ModelLoadError } from '#core/errors.ts';
import { elementCount, type TensorMap } from './tensor.ts';

/**
 * The safetensors format: 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
 * then the raw little-endian tensor bytes. Only the float dtypes a BERT checkpoint uses are accepted.
 */
const entrySchema = z
  .object({
    dtype: z.string(),
    shape: z.array(z.number().int().nonnegative()),
    data_offsets: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  })
  .strict();

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8 };

export function readSafetensors(bytes: Uint8Array, source = 'model.safetensors'): TensorMap {
  if (bytes.byteLength < 8) throw new ModelLoadError(`${source}: too short to be a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8)
    throw new ModelLoadError(`${source}: header length ${headerLength} exceeds the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (cause) {
    throw new ModelLoadError(`${source}: header is not JSON`, { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new ModelLoadError(`${source}: header is not a JSON object`);
  }
  const dataStart = 8 + headerLength;
  const tensors: TensorMap = new Map();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const parsed = entrySchema.safeParse(raw);
    if (!parsed.success) throw new ModelLoadError(`${source}: tensor ${name} has a malformed header entry`);
    const {
      dtype,
      shape,
      data_offsets: [begin, end],
    } = parsed.data;
    const width = BYTES[dtype];
    // Integer buffers (e.g. embeddings.position_ids) are not weights; the mapper reports any weight that is missing.
    if (width === undefined) continue;
    const count = elementCount(shape);
    if (end - begin !== count * width || dataStart + end > bytes.byteLength) {
      throw new ModelLoadError(`${source}: tensor ${name} has inconsistent offsets for shape [${shape.join(', ')}]`);
    }
    tensors.set(name, { shape, data: decodeFloats(bytes.subarray(dataStart + begin, dataStart + end), dtype, count) });
  }
  return tensors;
}

/** Little-endian floats of any supported width into a fresh, aligned Float32Array. */
export function decodeFloats(raw: Uint8Array, dtype: string, count: number): Float32Array {
  const out = new Float32Array(dtype === 'F32' ? 0 : count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'F32': {
      // Copy into a fresh, 4-byte aligned buffer (the source offset need not be aligned). Not raw.slice(): on a
      // Node Buffer that is a view, not a copy.
      const copy = new Uint8Array(count * 4);
      copy.set(raw.subarray(0, count * 4));
      return new Float32Array(copy.buffer);
    }
    case 'F64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    case 'BF16':
      for (let i = 0; i < count; i++) out[i] = bf16ToFloat(view.getUint16(i * 2, true));
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = f16ToFloat(view.getUint16(i * 2, true));
      return out;
    default:
      throw new ModelLoadError(`unsupported dtype ${dtype}`);
  }
}

const scratch = new DataView(new ArrayBuffer(4));
function bf16ToFloat(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}
function f16ToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? Number.NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

/** Writes F32 tensors in name order, so the same weights always give the same bytes. */
export function writeSafetensors(tensors: TensorMap): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const size = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  // The format asks for the data to start 8-byte aligned; pad the header with spaces.
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors.get(name)!;
    out.set(littleEndianBytes(t.data), at);
    at += t.data.length * 4;
  }
  return out;
}

/** Float32Array bytes in little-endian order whatever the host (every supported host is LE; this keeps it explicit). */
export function littleEndianBytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
