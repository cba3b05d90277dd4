import { LABELS } from '#core/labels.ts';
import type { BertWeights, Linear, Norm } from './bertCheckpoint.ts';
import { MS_DOMAIN, OnnxGraphBuilder } from './onnxGraph.ts';
import { quantizePerColumn, quantizePerTensor } from './quantize.ts';
import { type FloatTensor, transpose2d } from './tensor.ts';

export type Head = 'cls' | 'pooler';
export type Precision = 'fp32' | 'int8';
/**
 * `plain`: standard ONNX operators only (opset 17), left to onnxruntime's own graph optimizer.
 * `fused`: onnxruntime's contrib operators for transformers (EmbedLayerNormalization, Attention/QAttention,
 * SkipLayerNormalization, BiasGelu, DynamicQuantizeMatMul) written directly, so no fusion depends on pattern matching.
 */
export type GraphKind = 'plain' | 'fused';

export interface BertGraphOptions {
  head: Head;
  precision: Precision;
  graph: GraphKind;
}

/** Graph inputs, in the names and types transformers.js and Hugging Face exports use. */
export const GRAPH_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;
export const GRAPH_OUTPUT = 'logits';

/** The large negative added to masked attention scores, as BERT and the Attention operator's default do. */
const MASK_FILTER = -10000;
/** Activations: symmetric around uint8 128, so ±127 steps per token (see quantizePerToken). */
const ACTIVATION_ZERO_POINT = 128;
const ACTIVATION_QMAX = 127;

export function buildBertGraph(w: BertWeights, options: BertGraphOptions): Uint8Array {
  const c = w.config;
  const H = c.hidden_size;
  const heads = c.num_attention_heads;
  const headSize = H / heads;
  const g = new OnnxGraphBuilder(`bert_${options.head}_${options.graph}_${options.precision}`);
  const inputIds = g.input('input_ids', 'int64', ['batch', 'sequence']);
  const attentionMask = g.input('attention_mask', 'int64', ['batch', 'sequence']);
  const tokenTypeIds = g.input('token_type_ids', 'int64', ['batch', 'sequence']);
  const fused = options.graph === 'fused';
  const int8 = options.precision === 'int8';

  const f32 = (name: string, t: FloatTensor) => g.initializer(name, 'float32', t.shape, t.data);
  const eps = { float: c.layer_norm_eps };

  /** x · Wᵀ + b for a PyTorch Linear ([out, in]); with `withBias` false the caller fuses the bias downstream. */
  const linear = (x: string, name: string, lin: Linear, withBias = true): string => {
    const wT = transpose2d(lin.weight);
    const bias = withBias ? f32(`${name}.bias`, lin.bias) : '';
    if (!int8) {
      const y = g.op('MatMul', [x, f32(`${name}.weight`, wT)]);
      return withBias ? g.op('Add', [y, bias]) : y;
    }
    const q = quantizePerColumn(wT);
    const wq = g.initializer(`${name}.weight_quantized`, 'int8', q.shape, q.data);
    const ws = g.initializer(`${name}.weight_scale`, 'float32', [q.scales.length], q.scales);
    if (fused) {
      // Activations quantized per tensor, i.e. per batch: the backend runs this graph one text at a time.
      return g.op('DynamicQuantizeMatMul', withBias ? [x, wq, ws, '', bias] : [x, wq, ws], {}, MS_DOMAIN);
    }
    const { xq, xs } = quantizePerToken(x, q.shape[0]);
    const acc = g.op('MatMulInteger', [xq, wq, activationZeroPoint()]);
    // [B, S, N] · [N] (weight column scales) · [B, S, 1] (token scales).
    const y = g.op('Mul', [g.op('Mul', [g.op('Cast', [acc], { to: 1 }), ws]), xs]);
    return withBias ? g.op('Add', [y, bias]) : y;
  };

  /**
   * Symmetric uint8 quantization of x [B, S, K] with one scale per token (max |x| of its row / 127, zero point 128).
   * onnxruntime's DynamicQuantizeLinear takes one scale for the whole tensor, so a text's result would depend on the
   * other texts and the padding in its batch; per token, a text quantizes the same alone or batched, and one outlier
   * token no longer coarsens every other token's grid. QuantizeLinear's per-axis form does it in one pass over a
   * [B·S, K] view. Q, K and V share their input, so each input is quantized once.
   */
  const perToken = new Map<string, { xq: string; xs: string }>();
  let zeroPoint = '';
  const activationZeroPoint = () =>
    (zeroPoint ||= g.initializer('activation_zero_point', 'uint8', [], Uint8Array.of(ACTIVATION_ZERO_POINT)));
  const quantizePerToken = (x: string, width: number): { xq: string; xs: string } => {
    const known = perToken.get(x);
    if (known) return known;
    const absMax = g.op('ReduceMax', [g.op('Abs', [x])], { axes: [-1], keepdims: 1 });
    // An all-zero token would give scale 0 and 0/0 in QuantizeLinear; any positive scale maps it to the zero point.
    const xs = g.op('Div', [
      g.op('Max', [absMax, g.floatConst('min_abs_max', [1e-30])]),
      g.floatConst('activation_qmax', [ACTIVATION_QMAX]),
    ]);
    const rows = g.op('Reshape', [xs, g.int64Const('flat', [-1])]);
    const zeroPoints = g.op('Expand', [activationZeroPoint(), g.op('Shape', [rows])]);
    const byRow = g.op(
      'QuantizeLinear',
      [g.op('Reshape', [x, g.int64Const('rows_by_width', [-1, width])]), rows, zeroPoints],
      { axis: 0 },
    );
    const quantized = { xq: g.op('Reshape', [byRow, g.op('Shape', [x])]), xs };
    perToken.set(x, quantized);
    return quantized;
  };
  const layerNorm = (x: string, name: string, n: Norm) =>
    g.op('LayerNormalization', [x, f32(`${name}.weight`, n.gamma), f32(`${name}.bias`, n.beta)], {
      axis: -1,
      epsilon: eps,
    });

  let hidden: string;
  let attentionInput = '';
  if (fused) {
    const ids32 = g.op('Cast', [inputIds], { to: 6 });
    const types32 = g.op('Cast', [tokenTypeIds], { to: 6 });
    attentionInput = g.op('Cast', [attentionMask], { to: 6 });
    [hidden] = g.node(
      'EmbedLayerNormalization',
      [
        ids32,
        types32,
        f32('embeddings.word_embeddings.weight', w.wordEmbeddings),
        f32('embeddings.position_embeddings.weight', w.positionEmbeddings),
        f32('embeddings.token_type_embeddings.weight', w.tokenTypeEmbeddings),
        f32('embeddings.LayerNorm.weight', w.embeddingNorm.gamma),
        f32('embeddings.LayerNorm.bias', w.embeddingNorm.beta),
        attentionInput,
      ],
      { outputs: 2, attrs: { epsilon: eps }, domain: MS_DOMAIN },
    ) as [string, string];
  } else {
    const words = g.op('Gather', [f32('embeddings.word_embeddings.weight', w.wordEmbeddings), inputIds]);
    const types = g.op('Gather', [f32('embeddings.token_type_embeddings.weight', w.tokenTypeEmbeddings), tokenTypeIds]);
    const length = g.op('Gather', [g.op('Shape', [inputIds]), g.int64Const('one', [1], [])], { axis: 0 });
    const positionIds = g.op('Range', [g.int64Const('zero', [0], []), length, g.int64Const('one', [1], [])]);
    const positions = g.op('Gather', [f32('embeddings.position_embeddings.weight', w.positionEmbeddings), positionIds]);
    hidden = layerNorm(g.op('Add', [g.op('Add', [words, types]), positions]), 'embeddings.LayerNorm', w.embeddingNorm);
    // (1 - mask) · -10000, shaped [batch, 1, 1, sequence] to broadcast over heads and query positions.
    const inverted = g.op('Sub', [g.floatConst('one_f', [1]), g.op('Cast', [attentionMask], { to: 1 })]);
    attentionInput = g.op('Unsqueeze', [
      g.op('Mul', [inverted, g.floatConst('mask_filter', [MASK_FILTER])]),
      g.int64Const('axes', [1, 2]),
    ]);
  }

  const splitHeads = fused ? '' : g.int64Const('split_heads_shape', [0, 0, heads, headSize]);
  const mergeHeads = fused ? '' : g.int64Const('merge_heads_shape', [0, 0, H]);
  const scale = fused ? '' : g.floatConst('attention_scale', [Math.sqrt(headSize)]);

  w.layers.forEach((layer, l) => {
    const p = `encoder.layer.${l}`;
    let context: string;
    if (fused) {
      // Attention takes Q, K and V as one [H, 3H] weight.
      const qkvT = concatColumns([
        transpose2d(layer.query.weight),
        transpose2d(layer.key.weight),
        transpose2d(layer.value.weight),
      ]);
      const qkvBias = f32(
        `${p}.attention.self.qkv.bias`,
        concat1d([layer.query.bias, layer.key.bias, layer.value.bias]),
      );
      if (int8) {
        const q = quantizePerTensor(qkvT);
        const [xq, xs, xzp] = g.node('DynamicQuantizeLinear', [hidden], { outputs: 3 }) as [string, string, string];
        context = g.op(
          'QAttention',
          [
            xq,
            g.initializer(`${p}.attention.self.qkv.weight_quantized`, 'int8', q.shape, q.data),
            qkvBias,
            xs,
            g.initializer(`${p}.attention.self.qkv.weight_scale`, 'float32', [], q.scales),
            attentionInput,
            xzp,
          ],
          { num_heads: heads },
          MS_DOMAIN,
        );
      } else {
        context = g.op(
          'Attention',
          [hidden, f32(`${p}.attention.self.qkv.weight`, qkvT), qkvBias, attentionInput],
          { num_heads: heads },
          MS_DOMAIN,
        );
      }
    } else {
      const project = (name: string, lin: Linear, perm: number[]) =>
        g.op('Transpose', [g.op('Reshape', [linear(hidden, `${p}.attention.self.${name}`, lin), splitHeads])], {
          perm,
        });
      const q = project('query', layer.query, [0, 2, 1, 3]);
      const k = project('key', layer.key, [0, 2, 3, 1]);
      const v = project('value', layer.value, [0, 2, 1, 3]);
      const scores = g.op('Add', [g.op('Div', [g.op('MatMul', [q, k]), scale]), attentionInput]);
      const probs = g.op('Softmax', [scores], { axis: -1 });
      context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergeHeads]);
    }

    const attnName = `${p}.attention.output`;
    if (fused) {
      const projected = linear(context, `${attnName}.dense`, layer.attentionOutput, false);
      hidden = skipLayerNorm(
        g,
        projected,
        hidden,
        attnName,
        layer.attentionNorm,
        f32(`${attnName}.dense.bias`, layer.attentionOutput.bias),
        eps,
        f32,
      );
      const inter = linear(hidden, `${p}.intermediate.dense`, layer.intermediate, false);
      const activated = g.op(
        'BiasGelu',
        [inter, f32(`${p}.intermediate.dense.bias`, layer.intermediate.bias)],
        {},
        MS_DOMAIN,
      );
      const out = linear(activated, `${p}.output.dense`, layer.output, false);
      hidden = skipLayerNorm(
        g,
        out,
        hidden,
        `${p}.output`,
        layer.outputNorm,
        f32(`${p}.output.dense.bias`, layer.output.bias),
        eps,
        f32,
      );
    } else {
      const projected = linear(context, `${attnName}.dense`, layer.attentionOutput);
      hidden = layerNorm(g.op('Add', [projected, hidden]), `${attnName}.LayerNorm`, layer.attentionNorm);
      const inter = linear(hidden, `${p}.intermediate.dense`, layer.intermediate);
      // Exact GELU, 0.5·x·(1 + erf(x/√2)), in the form PyTorch exports (onnxruntime fuses it into Gelu).
      const erf = g.op('Erf', [g.op('Div', [inter, g.floatConst('sqrt2', [Math.SQRT2])])]);
      const activated = g.op('Mul', [
        g.op('Mul', [inter, g.op('Add', [erf, g.floatConst('one_f', [1])])]),
        g.floatConst('half', [0.5]),
      ]);
      const out = linear(activated, `${p}.output.dense`, layer.output);
      hidden = layerNorm(g.op('Add', [out, hidden]), `${p}.output.LayerNorm`, layer.outputNorm);
    }
  });

  // The [CLS] token's final hidden state; the heads are tiny, so they stay fp32 in every variant.
  let features = g.op('Gather', [hidden, g.int64Const('cls_index', [0], [])], { axis: 1 });
  if (options.head === 'pooler') {
    if (!w.pooler) throw new Error('pooler head requested but the checkpoint has no pooler weights');
    const dense = g.op('Add', [
      g.op('MatMul', [features, f32('pooler.dense.weight', transpose2d(w.pooler.weight))]),
      f32('pooler.dense.bias', w.pooler.bias),
    ]);
    features = g.op('Tanh', [dense]);
  }
  const logits = g.op('MatMul', [features, f32('classifier.weight', transpose2d(w.classifier.weight))]);
  g.node('Add', [logits, f32('classifier.bias', w.classifier.bias)], { outputs: ['logits'] });
  g.output('logits', 'float32', ['batch', LABELS.length]);
  return g.encode(
    `BERT encoder + ${options.head} head, ${options.precision}, ${options.graph} graph; logits in order ${LABELS.join(', ')}`,
  );
}

function skipLayerNorm(
  g: OnnxGraphBuilder,
  x: string,
  skip: string,
  name: string,
  n: Norm,
  bias: string,
  epsilon: { float: number },
  f32: (name: string, t: FloatTensor) => string,
): string {
  return g.op(
    'SkipLayerNormalization',
    [x, skip, f32(`${name}.LayerNorm.weight`, n.gamma), f32(`${name}.LayerNorm.bias`, n.beta), bias],
    { epsilon },
    MS_DOMAIN,
  );
}

function concatColumns(parts: FloatTensor[]): FloatTensor {
  const rows = parts[0]!.shape[0]!;
  const widths = parts.map((t) => t.shape[1]!);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(rows * total);
  for (let r = 0; r < rows; r++) {
    let at = r * total;
    parts.forEach((t, i) => {
      out.set(t.data.subarray(r * widths[i]!, (r + 1) * widths[i]!), at);
      at += widths[i]!;
    });
  }
  return { shape: [rows, total], data: out };
}

function concat1d(parts: FloatTensor[]): FloatTensor {
  const total = parts.reduce((a, t) => a + t.data.length, 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const t of parts) {
    out.set(t.data, at);
    at += t.data.length;
  }
  return { shape: [total], data: out };
}
