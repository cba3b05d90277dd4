import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ModelLoadError } from '#core/errors.ts';
import { labelOrder, parseBertConfig, readCheckpointFolder, toBertWeights } from '#export/bertCheckpoint.ts';
import { readPytorchCheckpoint, writePytorchCheckpoint } from '#export/pytorchCheckpoint.ts';
import { randomBertConfig, randomBertTensors, TINY_SHAPE, writeRandomCheckpoint } from '#export/randomCheckpoint.ts';
import { readSafetensors, writeSafetensors } from '#export/safetensors.ts';
import type { TensorMap } from '#export/tensor.ts';

const small = (): TensorMap =>
  new Map([
    ['a.weight', { shape: [2, 3], data: Float32Array.of(1, -2, 3.5, 4, 5e-8, -6e10) }],
    ['b', { shape: [1], data: Float32Array.of(Math.PI) }],
  ]);

const dirs: string[] = [];
const tmp = async () => {
  const d = await mkdtemp(join(tmpdir(), 'bert-ckpt-'));
  dirs.push(d);
  return d;
};
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('safetensors', () => {
  it('reads back exactly what it wrote', () => {
    const back = readSafetensors(writeSafetensors(small()));
    expect([...back.keys()].sort()).toEqual(['a.weight', 'b']);
    expect(back.get('a.weight')).toEqual(small().get('a.weight'));
  });

  it('starts the data 8-byte aligned, as the format asks', () => {
    const bytes = writeSafetensors(small());
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
  });

  it('rejects a header length past the end of the file', () => {
    const bytes = writeSafetensors(small());
    new DataView(bytes.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readSafetensors(bytes)).toThrow(ModelLoadError);
  });

  it('skips integer buffers such as position_ids', () => {
    const header = JSON.stringify({
      'embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] },
    });
    const bytes = new Uint8Array(8 + header.length + 16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
    bytes.set(new TextEncoder().encode(header), 8);
    expect(readSafetensors(bytes).size).toBe(0);
  });
});

describe('PyTorch zip checkpoints', () => {
  it('reads back exactly what it wrote, in the torch.save layout', () => {
    const back = readPytorchCheckpoint(writePytorchCheckpoint(small()));
    expect(back.get('a.weight')).toEqual(small().get('a.weight'));
    expect(back.get('b')).toEqual(small().get('b'));
  });

  it('refuses a pickle that names any global outside a state dict (no code execution)', () => {
    const pickle = Uint8Array.from([0x80, 0x02, 0x63, ...new TextEncoder().encode('os\nsystem\n'), 0x2e]);
    const zip = zipSync({ 'archive/data.pkl': pickle });
    expect(() => readPytorchCheckpoint(zip)).toThrow(/refusing global os\.system/);
  });

  it('explains that legacy (non-zip) checkpoints are not supported', () => {
    expect(() => readPytorchCheckpoint(Uint8Array.of(0x80, 0x02, 0x8a))).toThrow(/legacy/);
  });

  it('gives the same tensors as safetensors for the same random checkpoint', () => {
    const tensors = randomBertTensors(TINY_SHAPE, { seed: 5 });
    const fromPt = readPytorchCheckpoint(writePytorchCheckpoint(tensors));
    const fromSt = readSafetensors(writeSafetensors(tensors));
    expect([...fromPt.keys()].sort()).toEqual([...fromSt.keys()].sort());
    for (const [name, t] of fromSt) {
      const other = fromPt.get(name)!;
      expect(other.shape, name).toEqual(t.shape);
      // Byte comparison: toEqual over a million-element array is slow.
      expect(
        Buffer.from(other.data.buffer, other.data.byteOffset, other.data.byteLength).equals(
          Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        ),
        name,
      ).toBe(true);
    }
  });
});

describe('BERT config and parameter mapping', () => {
  const config = parseBertConfig(randomBertConfig(TINY_SHAPE));

  it('accepts parameter names with or without the bert. prefix', () => {
    const withPrefix = toBertWeights(config, randomBertTensors(TINY_SHAPE, { seed: 9 }));
    const without = toBertWeights(config, randomBertTensors(TINY_SHAPE, { seed: 9, prefix: false }));
    expect(without.layers[1]!.intermediate.weight).toEqual(withPrefix.layers[1]!.intermediate.weight);
    expect(without.classifier).toEqual(withPrefix.classifier);
  });

  it('accepts TF-era LayerNorm gamma/beta names', () => {
    const tensors = randomBertTensors(TINY_SHAPE, { seed: 9 });
    const renamed: TensorMap = new Map(
      [...tensors].map(([k, v]) => [
        k.replace(/LayerNorm\.weight$/, 'LayerNorm.gamma').replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
        v,
      ]),
    );
    expect(toBertWeights(config, renamed).embeddingNorm).toEqual(toBertWeights(config, tensors).embeddingNorm);
  });

  it('names the missing parameter', () => {
    const tensors = randomBertTensors(TINY_SHAPE, { seed: 9 });
    tensors.delete('bert.encoder.layer.1.output.dense.bias');
    expect(() => toBertWeights(config, tensors)).toThrow(/encoder\.layer\.1\.output\.dense\.bias/);
  });

  it('names a parameter whose shape disagrees with config.json', () => {
    const wrong = parseBertConfig({ ...randomBertConfig(TINY_SHAPE), intermediate_size: 48 });
    expect(() => toBertWeights(wrong, randomBertTensors(TINY_SHAPE))).toThrow(
      /intermediate\.dense\.weight has shape \[64, 32\]/,
    );
  });

  it('reorders classifier rows when id2label lists the labels in another order or by short name', () => {
    const shuffled = parseBertConfig(
      randomBertConfig(TINY_SHAPE, ['onco', 'Cardiovascular', 'neurological', 'hepato']),
    );
    expect(labelOrder(shuffled)).toEqual([3, 0, 2, 1]);
    const tensors = randomBertTensors(TINY_SHAPE, { seed: 2 });
    const w = toBertWeights(shuffled, tensors);
    const raw = tensors.get('classifier.bias')!.data;
    expect(Array.from(w.classifier.bias.data)).toEqual([raw[1], raw[3], raw[2], raw[0]]);
  });

  it('rejects generic or incomplete label maps with a ConfigError', () => {
    expect(() =>
      labelOrder(parseBertConfig(randomBertConfig(TINY_SHAPE, ['LABEL_0', 'LABEL_1', 'LABEL_2', 'LABEL_3']))),
    ).toThrow(ConfigError);
    expect(() => labelOrder(parseBertConfig(randomBertConfig(TINY_SHAPE, ['cardio', 'hepato', 'neuro'])))).toThrow(
      ConfigError,
    );
  });

  it('rejects configs it cannot export, naming the field', () => {
    expect(() => parseBertConfig({ ...randomBertConfig(TINY_SHAPE), hidden_act: 'relu' })).toThrow(/hidden_act/);
    expect(() => parseBertConfig({ ...randomBertConfig(TINY_SHAPE), num_attention_heads: 5 })).toThrow(
      /multiple of num_attention_heads/,
    );
    expect(() => parseBertConfig({ ...randomBertConfig(TINY_SHAPE), hidden_size: '32' })).toThrow(ConfigError);
  });
});

describe('checkpoint folders', () => {
  it('prefers model.safetensors and falls back to pytorch_model.bin', async () => {
    const a = await tmp();
    await writeRandomCheckpoint(a, TINY_SHAPE, { format: 'pytorch', seed: 4 });
    expect((await readCheckpointFolder(a)).weightsFile).toBe('pytorch_model.bin');
    await writeFile(join(a, 'model.safetensors'), writeSafetensors(randomBertTensors(TINY_SHAPE, { seed: 4 })));
    expect((await readCheckpointFolder(a)).weightsFile).toBe('model.safetensors');
  });

  it('says what is missing in a folder without weights or without config', async () => {
    const empty = await tmp();
    await expect(readCheckpointFolder(empty)).rejects.toThrow(/config\.json/);
    await writeFile(join(empty, 'config.json'), JSON.stringify(randomBertConfig(TINY_SHAPE)));
    await expect(readCheckpointFolder(empty)).rejects.toThrow(/neither model\.safetensors nor pytorch_model\.bin/);
  });
});
