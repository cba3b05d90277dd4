/**
 * An independent BERT forward pass in plain TypeScript (float64 arithmetic, one unpadded sequence at a time), written
 * from the Hugging Face BertModel definition and sharing no code with the exporter: it reads the raw checkpoint
 * tensors by their PyTorch names. Used only to check the exported graphs.
 */
export interface RawTensor {
  shape: readonly number[];
  data: Float32Array;
}

export interface ReferenceConfig {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  layer_norm_eps: number;
  id2label: Record<string, string>;
}

export type Head = 'cls' | 'pooler';

export class ReferenceBert {
  private readonly t: (name: string) => RawTensor;

  constructor(
    private readonly config: ReferenceConfig,
    tensors: Map<string, RawTensor>,
  ) {
    this.t = (name) => {
      const found = tensors.get(`bert.${name}`) ?? tensors.get(name);
      if (!found) throw new Error(`reference: missing ${name}`);
      return found;
    };
  }

  /** Logits keyed by label name (the checkpoint's id2label), for one sequence of token ids. */
  logits(ids: readonly number[], head: Head): Record<string, number> {
    const H = this.config.hidden_size;
    const S = ids.length;
    const word = this.t('embeddings.word_embeddings.weight').data;
    const pos = this.t('embeddings.position_embeddings.weight').data;
    const type = this.t('embeddings.token_type_embeddings.weight').data;
    let x: Float64Array[] = ids.map((id, i) => {
      const row = new Float64Array(H);
      for (let h = 0; h < H; h++) row[h] = word[id * H + h]! + pos[i * H + h]! + type[h]!;
      return row;
    });
    x = x.map((r) => this.layerNorm(r, 'embeddings.LayerNorm'));
    const heads = this.config.num_attention_heads;
    const d = H / heads;
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      const p = `encoder.layer.${l}`;
      const q = x.map((r) => this.dense(r, `${p}.attention.self.query`));
      const k = x.map((r) => this.dense(r, `${p}.attention.self.key`));
      const v = x.map((r) => this.dense(r, `${p}.attention.self.value`));
      const context = Array.from({ length: S }, () => new Float64Array(H));
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < S; i++) {
          const scores = new Float64Array(S);
          let max = -Infinity;
          for (let j = 0; j < S; j++) {
            let s = 0;
            for (let e = 0; e < d; e++) s += q[i]![h * d + e]! * k[j]![h * d + e]!;
            scores[j] = s / Math.sqrt(d);
            max = Math.max(max, scores[j]!);
          }
          let sum = 0;
          for (let j = 0; j < S; j++) {
            scores[j] = Math.exp(scores[j]! - max);
            sum += scores[j]!;
          }
          for (let j = 0; j < S; j++) {
            const a = scores[j]! / sum;
            for (let e = 0; e < d; e++) context[i]![h * d + e]! += a * v[j]![h * d + e]!;
          }
        }
      }
      x = x.map((r, i) => {
        const attn = this.dense(context[i]!, `${p}.attention.output.dense`);
        return this.layerNorm(
          attn.map((a, h) => a + r[h]!),
          `${p}.attention.output.LayerNorm`,
        );
      });
      x = x.map((r) => {
        const inter = this.dense(r, `${p}.intermediate.dense`).map((z) => 0.5 * z * (1 + erf(z / Math.SQRT2)));
        const out = this.dense(inter, `${p}.output.dense`);
        return this.layerNorm(
          out.map((o, h) => o + r[h]!),
          `${p}.output.LayerNorm`,
        );
      });
    }
    let features = x[0]!;
    if (head === 'pooler') features = this.dense(features, 'pooler.dense').map(Math.tanh);
    const logits = this.dense(features, 'classifier');
    const out: Record<string, number> = {};
    for (const [id, label] of Object.entries(this.config.id2label)) out[label] = logits[Number(id)]!;
    return out;
  }

  private dense(x: Float64Array, name: string): Float64Array {
    const w = this.t(`${name}.weight`);
    const b = this.t(`${name}.bias`).data;
    const [out, inp] = w.shape as [number, number];
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = b[o]!;
      for (let i = 0; i < inp; i++) s += w.data[o * inp + i]! * x[i]!;
      y[o] = s;
    }
    return y;
  }

  private layerNorm(x: Float64Array, name: string): Float64Array {
    const gamma = this.t(`${name}.weight`).data;
    const beta = this.t(`${name}.bias`).data;
    let mean = 0;
    for (const v of x) mean += v;
    mean /= x.length;
    let variance = 0;
    for (const v of x) variance += (v - mean) ** 2;
    variance /= x.length;
    const inv = 1 / Math.sqrt(variance + this.config.layer_norm_eps);
    return x.map((v, i) => (v - mean) * inv * gamma[i]! + beta[i]!);
  }
}

/** erf to ~1e-15: Maclaurin series near zero, continued fraction for erfc in the tails. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) evaluated bottom-up.
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}
