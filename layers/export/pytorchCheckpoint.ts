import { unzipSync, type Zippable, zipSync } from 'fflate';
import { ModelLoadError } from '#core/errors.ts';
import { decodeFloats } from './safetensors.ts';
import { elementCount, type TensorMap } from './tensor.ts';

/**
 * PyTorch's `torch.save` zip format (the default since 1.6): `<root>/data.pkl` is a pickle of the state dict in
 * which each tensor is `torch._utils._rebuild_tensor_v2(persistent_id(('storage', <type>, key, device, numel)),
 * offset, size, stride, ...)`, and the storage bytes live in `<root>/data/<key>`.
 *
 * The unpickler below is deliberately not general: it knows the handful of opcodes and globals a state dict uses and
 * refuses every other global, so a checkpoint can never run code (Python's pickle would).
 */

const STORAGE_DTYPES: Record<string, string | null> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  // Integer storages hold buffers such as position_ids: read past, never used as weights.
  LongStorage: null,
  IntStorage: null,
  ShortStorage: null,
  CharStorage: null,
  ByteStorage: null,
  BoolStorage: null,
};

interface Global {
  kind: 'global';
  module: string;
  name: string;
}
interface StorageRef {
  kind: 'storage';
  key: string;
  dtype: string | null;
  numel: number;
}
interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  size: number[];
  stride: number[];
}
interface Mark {
  kind: 'mark';
}
type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | Global
  | StorageRef
  | TensorRef
  | Mark
  | { kind: 'tuple'; items: PickleValue[] }
  | { kind: 'object'; type: string };

const MARK: Mark = { kind: 'mark' };
const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_DTYPES).map((s) => `torch.${s}`),
]);

const isTuple = (v: PickleValue): v is { kind: 'tuple'; items: PickleValue[] } =>
  typeof v === 'object' &&
  v !== null &&
  !(v instanceof Uint8Array) &&
  !Array.isArray(v) &&
  !(v instanceof Map) &&
  v.kind === 'tuple';
const tupleItems = (v: PickleValue): PickleValue[] => (isTuple(v) ? v.items : Array.isArray(v) ? v : []);

function fail(message: string): never {
  throw new ModelLoadError(`pytorch checkpoint: ${message}`);
}

function unpickle(bytes: Uint8Array): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = new TextDecoder();
  const stack: PickleValue[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;
  const u8 = () => bytes[pos++] ?? fail('truncated pickle');
  const readLine = () => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated pickle');
    const s = text.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const take = (n: number) => {
    if (pos + n > bytes.length) fail('truncated pickle');
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const popMark = (): PickleValue[] => {
    for (let i = stack.length - 1; i >= 0; i--) {
      if (stack[i] === MARK) return stack.splice(i).slice(1);
    }
    return fail('MARK not found');
  };
  const pop = (): PickleValue => (stack.length > 0 ? stack.pop()! : fail('stack underflow'));
  const top = (): PickleValue => stack[stack.length - 1] ?? fail('stack underflow');

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80:
        u8();
        break; // PROTO
      case 0x95:
        take(8);
        break; // FRAME
      case 0x2e:
        return pop(); // STOP
      case 0x28:
        stack.push(MARK);
        break; // MARK
      case 0x4e:
        stack.push(null);
        break; // NONE
      case 0x88:
        stack.push(true);
        break; // NEWTRUE
      case 0x89:
        stack.push(false);
        break; // NEWFALSE
      case 0x29:
        stack.push({ kind: 'tuple', items: [] });
        break; // EMPTY_TUPLE
      case 0x5d:
        stack.push([]);
        break; // EMPTY_LIST
      case 0x7d:
        stack.push(new Map());
        break; // EMPTY_DICT
      case 0x4b:
        stack.push(u8());
        break; // BININT1
      case 0x4d:
        stack.push(view.getUint16(take(2).byteOffset - bytes.byteOffset, true));
        break; // BININT2
      case 0x4a:
        stack.push(view.getInt32(take(4).byteOffset - bytes.byteOffset, true));
        break; // BININT
      case 0x8a: {
        // LONG1
        const n = u8();
        const b = take(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        if (n > 0 && (b[n - 1]! & 0x80) !== 0) v -= 1n << BigInt(8 * n);
        stack.push(Number.isSafeInteger(Number(v)) ? Number(v) : v);
        break;
      }
      case 0x47:
        stack.push(view.getFloat64(take(8).byteOffset - bytes.byteOffset, false));
        break; // BINFLOAT
      case 0x58: {
        const n = view.getUint32(take(4).byteOffset - bytes.byteOffset, true);
        stack.push(text.decode(take(n)));
        break;
      } // BINUNICODE
      case 0x8c: {
        const n = u8();
        stack.push(text.decode(take(n)));
        break;
      } // SHORT_BINUNICODE
      case 0x55: {
        const n = u8();
        stack.push(text.decode(take(n)));
        break;
      } // SHORT_BINSTRING
      case 0x54: {
        const n = view.getUint32(take(4).byteOffset - bytes.byteOffset, true);
        stack.push(text.decode(take(n)));
        break;
      } // BINSTRING
      case 0x43: {
        const n = u8();
        stack.push(take(n).slice());
        break;
      } // SHORT_BINBYTES
      case 0x42: {
        const n = view.getUint32(take(4).byteOffset - bytes.byteOffset, true);
        stack.push(take(n).slice());
        break;
      } // BINBYTES
      case 0x71:
        memo.set(u8(), top());
        break; // BINPUT
      case 0x72:
        memo.set(view.getUint32(take(4).byteOffset - bytes.byteOffset, true), top());
        break; // LONG_BINPUT
      case 0x94:
        memo.set(memo.size, top());
        break; // MEMOIZE
      case 0x68:
        stack.push(memo.get(u8()) ?? fail('unknown memo key'));
        break; // BINGET
      case 0x6a:
        stack.push(memo.get(view.getUint32(take(4).byteOffset - bytes.byteOffset, true)) ?? fail('unknown memo key'));
        break; // LONG_BINGET
      case 0x74:
        stack.push({ kind: 'tuple', items: popMark() });
        break; // TUPLE
      case 0x85:
        stack.push({ kind: 'tuple', items: [pop()] });
        break; // TUPLE1
      case 0x86: {
        const b = pop();
        const a = pop();
        stack.push({ kind: 'tuple', items: [a, b] });
        break;
      } // TUPLE2
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        stack.push({ kind: 'tuple', items: [a, b, c] });
        break;
      } // TUPLE3
      case 0x6c:
        stack.push(popMark());
        break; // LIST
      case 0x61: {
        const v = pop();
        const l = top();
        if (Array.isArray(l)) l.push(v);
        break;
      } // APPEND
      case 0x65: {
        const items = popMark();
        const l = top();
        if (Array.isArray(l)) l.push(...items);
        break;
      } // APPENDS
      case 0x73: {
        const v = pop();
        const k = pop();
        const d = top();
        if (d instanceof Map) d.set(k, v);
        break;
      } // SETITEM
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top();
        if (!(d instanceof Map)) fail('SETITEMS on a non-dict');
        for (let i = 0; i + 1 < items.length; i += 2) d.set(items[i]!, items[i + 1]!);
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = readLine();
        const name = readLine();
        if (!ALLOWED_GLOBALS.has(`${module}.${name}`))
          fail(`refusing global ${module}.${name}: not part of a state dict`);
        stack.push({ kind: 'global', module, name });
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('malformed STACK_GLOBAL');
        if (!ALLOWED_GLOBALS.has(`${module}.${name}`))
          fail(`refusing global ${module}.${name}: not part of a state dict`);
        stack.push({ kind: 'global', module, name });
        break;
      }
      case 0x51:
        stack.push(persistentLoad(pop()));
        break; // BINPERSID
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, tupleItems(args)));
        break;
      } // REDUCE
      case 0x81: {
        const args = pop();
        const cls = pop();
        stack.push(reduce(cls, tupleItems(args)));
        break;
      } // NEWOBJ
      case 0x62:
        pop();
        break; // BUILD: state (e.g. a state dict's _metadata) is not needed
      default:
        fail(`unsupported pickle opcode 0x${op.toString(16)} at byte ${pos - 1}`);
    }
  }
}

function persistentLoad(pid: PickleValue): StorageRef {
  const [tag, type, key, , numel] = tupleItems(pid);
  if (tag !== 'storage' || typeof key !== 'string' || typeof numel !== 'number') fail('unexpected persistent id');
  if (typeof type !== 'object' || type === null || !('kind' in type) || type.kind !== 'global')
    fail('unexpected storage type');
  const dtype = STORAGE_DTYPES[type.name];
  if (dtype === undefined) fail(`unsupported storage type ${type.name}`);
  return { kind: 'storage', key, dtype, numel };
}

function reduce(fn: PickleValue, args: PickleValue[]): PickleValue {
  if (typeof fn !== 'object' || fn === null || !('kind' in fn) || fn.kind !== 'global')
    fail('REDUCE of a non-callable');
  switch (`${fn.module}.${fn.name}`) {
    case 'collections.OrderedDict':
      return new Map();
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      if (typeof storage !== 'object' || storage === null || !('kind' in storage) || storage.kind !== 'storage')
        fail('tensor without storage');
      const asInts = (v: PickleValue | undefined) =>
        tupleItems(v ?? null).map((x) => (typeof x === 'number' ? x : fail('non-integer tensor geometry')));
      if (typeof offset !== 'number') fail('tensor offset is not an integer');
      return { kind: 'tensor', storage, offset, size: asInts(size), stride: asInts(stride) };
    }
    case 'torch._utils._rebuild_parameter':
      return args[0] ?? null;
    default:
      return { kind: 'object', type: `${fn.module}.${fn.name}` };
  }
}

/** Reads every floating-point tensor of a `torch.save`d state dict (zip format). */
export function readPytorchCheckpoint(bytes: Uint8Array, source = 'pytorch_model.bin'): TensorMap {
  if (bytes[0] !== 0x50 || bytes[1] !== 0x4b) {
    throw new ModelLoadError(
      `${source}: not a zip archive; checkpoints saved with the legacy (pre-1.6) format are not supported, re-save with torch.save or convert to safetensors`,
    );
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (cause) {
    throw new ModelLoadError(`${source}: corrupt zip archive`, { cause });
  }
  const pklName = Object.keys(files).find((n) => n.endsWith('/data.pkl') || n === 'data.pkl');
  if (!pklName) throw new ModelLoadError(`${source}: no data.pkl inside the archive`);
  const root = pklName.slice(0, -'data.pkl'.length);
  let state = unpickle(files[pklName]!);
  // Some training loops save {'state_dict': ...} or {'model': ...}.
  if (
    state instanceof Map &&
    ![...state.values()].some((v) => typeof v === 'object' && v !== null && 'kind' in v && v.kind === 'tensor')
  ) {
    const inner = state.get('state_dict') ?? state.get('model');
    if (inner instanceof Map) state = inner;
  }
  if (!(state instanceof Map)) throw new ModelLoadError(`${source}: the pickle is not a state dict`);
  const tensors: TensorMap = new Map();
  for (const [name, value] of state) {
    if (
      typeof name !== 'string' ||
      typeof value !== 'object' ||
      value === null ||
      !('kind' in value) ||
      value.kind !== 'tensor'
    )
      continue;
    const { storage, offset, size, stride } = value;
    if (storage.dtype === null) continue;
    const raw = files[`${root}data/${storage.key}`];
    if (!raw) throw new ModelLoadError(`${source}: storage ${storage.key} of ${name} is missing`);
    const width = storage.dtype === 'F64' ? 8 : storage.dtype === 'F32' ? 4 : 2;
    if (raw.byteLength < storage.numel * width)
      throw new ModelLoadError(`${source}: storage ${storage.key} is truncated`);
    const all = decodeFloats(raw, storage.dtype, storage.numel);
    tensors.set(name, { shape: size, data: gather(all, offset, size, stride, name, source) });
  }
  return tensors;
}

/** Materialises a (possibly strided, e.g. transposed) view of a storage as a contiguous row-major array. */
function gather(
  all: Float32Array,
  offset: number,
  size: number[],
  stride: number[],
  name: string,
  source: string,
): Float32Array {
  const count = elementCount(size);
  const contiguous = size.every((_, i) => stride[i] === elementCount(size.slice(i + 1)));
  if (contiguous) {
    if (offset + count > all.length) throw new ModelLoadError(`${source}: tensor ${name} reaches past its storage`);
    return all.slice(offset, offset + count);
  }
  const out = new Float32Array(count);
  const index = new Array<number>(size.length).fill(0);
  for (let i = 0; i < count; i++) {
    let at = offset;
    for (let d = 0; d < size.length; d++) at += index[d]! * stride[d]!;
    if (at >= all.length) throw new ModelLoadError(`${source}: tensor ${name} reaches past its storage`);
    out[i] = all[at]!;
    for (let d = size.length - 1; d >= 0; d--) {
      if (++index[d]! < size[d]!) break;
      index[d] = 0;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Writer: used to make test and bench checkpoints in the same format torch.save produces (protocol 2 pickle,
// one storage per tensor, stored entries), so the reader is exercised on the real layout.

class PickleWriter {
  private readonly chunks: number[] = [];
  private memo = 0;
  byte(...b: number[]) {
    this.chunks.push(...b);
  }
  u32(n: number) {
    this.byte(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  }
  put() {
    const m = this.memo++;
    if (m < 256) this.byte(0x71, m);
    else {
      this.byte(0x72);
      this.u32(m);
    }
  }
  str(s: string) {
    const b = new TextEncoder().encode(s);
    this.byte(0x58);
    this.u32(b.length);
    this.byte(...b);
    this.put();
  }
  global(module: string, name: string) {
    this.byte(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
    this.put();
  }
  int(n: number) {
    if (n >= 0 && n < 256) this.byte(0x4b, n);
    else if (n >= 0 && n < 65536) this.byte(0x4d, n & 0xff, n >> 8);
    else {
      this.byte(0x4a);
      this.u32(n);
    }
  }
  ints(ns: readonly number[]) {
    this.byte(0x28);
    for (const n of ns) this.int(n);
    this.byte(0x74);
    this.put();
  }
  bytes() {
    return Uint8Array.from(this.chunks);
  }
}

/** Writes a state dict the way `torch.save(model.state_dict(), path)` does (zip, archive root `archive/`). */
export function writePytorchCheckpoint(tensors: TensorMap, root = 'archive'): Uint8Array {
  const p = new PickleWriter();
  p.byte(0x80, 0x02);
  p.global('collections', 'OrderedDict');
  p.byte(0x29);
  p.put();
  p.byte(0x52);
  p.put();
  p.byte(0x28);
  const files: Zippable = {};
  let key = 0;
  for (const [name, t] of tensors) {
    const storageKey = String(key++);
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.byte(0x28);
    p.byte(0x28);
    p.str('storage');
    p.global('torch', 'FloatStorage');
    p.str(storageKey);
    p.str('cpu');
    p.int(t.data.length);
    p.byte(0x74);
    p.put();
    p.byte(0x51);
    p.int(0);
    p.ints(t.shape);
    p.ints(t.shape.map((_, i) => elementCount(t.shape.slice(i + 1))));
    p.byte(0x89);
    p.global('collections', 'OrderedDict');
    p.byte(0x29);
    p.put();
    p.byte(0x52);
    p.put();
    p.byte(0x74);
    p.put();
    p.byte(0x52);
    p.put();
    files[`${root}/data/${storageKey}`] = [
      new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      { level: 0 },
    ];
  }
  p.byte(0x75);
  p.byte(0x2e);
  files[`${root}/data.pkl`] = [p.bytes(), { level: 0 }];
  files[`${root}/version`] = [new TextEncoder().encode('3\n'), { level: 0 }];
  // A fixed timestamp keeps the archive byte-identical across runs.
  return zipSync(files, { mtime: new Date('2000-01-01T00:00:00Z') });
}
