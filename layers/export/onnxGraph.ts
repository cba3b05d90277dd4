import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const DataType = onnx.TensorProto.DataType;
const AttrType = onnx.AttributeProto.AttributeType;

export type ElementType = 'float32' | 'int8' | 'uint8' | 'int32' | 'int64';
const DATA_TYPE: Record<ElementType, number> = {
  float32: DataType.FLOAT,
  int8: DataType.INT8,
  uint8: DataType.UINT8,
  int32: DataType.INT32,
  int64: DataType.INT64,
};

export type AttributeValue = number | string | number[] | { float: number } | { floats: number[] };
export type Dim = number | string;

export const MS_DOMAIN = 'com.microsoft';

/** Version stamped into every exported graph and manifest; bump when the graph a checkpoint produces changes. */
export const EXPORTER_VERSION = '1.1.0';

/**
 * A minimal ONNX graph writer on top of the protobuf classes. Node and tensor names are generated from a counter in
 * construction order, and nothing time- or machine-dependent is written, so one checkpoint always gives the same bytes.
 */
export class OnnxGraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly outputs: onnxProto.onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(private readonly graphName: string) {}

  fresh(hint: string): string {
    let name: string;
    do name = `${hint}_${this.counter++}`;
    while (this.names.has(name));
    this.names.add(name);
    return name;
  }

  input(name: string, type: ElementType, dims: Dim[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElementType, dims: Dim[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A constant tensor stored in the graph; `name` is kept verbatim (checkpoint names make graphs readable). */
  initializer(
    name: string,
    type: ElementType,
    dims: readonly number[],
    data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array,
  ): string {
    if (this.names.has(name)) throw new Error(`duplicate tensor name ${name}`);
    this.names.add(name);
    return this.store(name, type, dims, data);
  }

  private store(
    name: string,
    type: ElementType,
    dims: readonly number[],
    data: Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array,
  ): string {
    this.initializers.push({
      name,
      dataType: DATA_TYPE[type],
      dims: [...dims],
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }

  floatConst(hint: string, values: number[], dims: number[] = values.length === 1 ? [] : [values.length]): string {
    return this.store(this.fresh(hint), 'float32', dims, Float32Array.from(values));
  }

  int64Const(hint: string, values: number[], dims: number[] = [values.length]): string {
    return this.store(this.fresh(hint), 'int64', dims, BigInt64Array.from(values.map(BigInt)));
  }

  /** Adds a node and returns its output names (fresh ones unless given). */
  node(
    op: string,
    inputs: string[],
    options: { outputs?: number | string[]; attrs?: Record<string, AttributeValue>; domain?: string } = {},
  ): string[] {
    const outputs = Array.isArray(options.outputs)
      ? options.outputs
      : Array.from({ length: options.outputs ?? 1 }, () => this.fresh(op.toLowerCase()));
    for (const o of outputs) this.names.add(o);
    this.nodes.push({
      opType: op,
      domain: options.domain ?? '',
      name: this.fresh(`${op}_node`),
      input: inputs,
      output: outputs,
      attribute: Object.entries(options.attrs ?? {})
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, v]) => attribute(name, v)),
    });
    return outputs;
  }

  /** Single-output shorthand. */
  op(op: string, inputs: string[], attrs?: Record<string, AttributeValue>, domain?: string): string {
    return this.node(op, inputs, { attrs: attrs ?? {}, ...(domain ? { domain } : {}) })[0]!;
  }

  encode(docString: string): Uint8Array {
    const usesMs = this.nodes.some((n) => n.domain === MS_DOMAIN);
    const model: onnxProto.onnx.IModelProto = {
      irVersion: 8,
      producerName: 'clinical-abstract-classifier',
      producerVersion: EXPORTER_VERSION,
      docString,
      opsetImport: [{ domain: '', version: 17 }, ...(usesMs ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, type: ElementType, dims: Dim[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttributeValue): onnxProto.onnx.IAttributeProto {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new Error(`attribute ${name}: use {float: x} for floats`);
    return { name, type: AttrType.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('float' in v) return { name, type: AttrType.FLOAT, f: v.float };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}
