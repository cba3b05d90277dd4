import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier, loadModel } from '#core/classifier.ts';
import { ModelLoadError } from '#core/errors.ts';
import { OnnxGraphBuilder } from '#export/onnxGraph.ts';
import { longAbstract, syntheticAbstracts, TOKENIZER_SENTENCES } from '../../scripts/fixtures/bertTexts.ts';
import { probaRows } from '../support/probaRows.ts';
import { buildTinyBertModel, hasSharedBert, SHARED_TOKENIZER_MISSING } from './tinyModel.ts';

let root = '';
let modelDir = '';

if (!hasSharedBert) console.warn(SHARED_TOKENIZER_MISSING);

describe.skipIf(!hasSharedBert)(
  `bert-onnx backend through the core's loadClassifier${hasSharedBert ? '' : ` — ${SHARED_TOKENIZER_MISSING}`}`,
  () => {
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'bert-backend-'));
      modelDir = join(root, 'tiny');
      await buildTinyBertModel(modelDir, { seed: 5 });
    });
    afterAll(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    /** A copy of the tiny model with its manifest edited. */
    async function variant(name: string, edit: (manifest: Record<string, unknown>) => void): Promise<string> {
      const dir = join(root, name);
      await cp(modelDir, dir, { recursive: true });
      const manifest = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
      edit(manifest);
      await writeFile(join(dir, 'model.json'), JSON.stringify(manifest));
      return dir;
    }

    // 0.05 is the int8 bar against fp32; that batching changes nothing beyond float rounding is checked below.
    for (const [precision, tolerance] of [
      ['fp32', 1e-5],
      ['int8', 0.05],
    ] as const) {
      it(`returns one probability row per text, in input order, whatever the batching (${precision}, ±${tolerance})`, async () => {
        const texts = [longAbstract(), ...TOKENIZER_SENTENCES, ...syntheticAbstracts(10)];
        const batched = await loadModel(modelDir, { batchSize: 4, precision });
        const single = await loadModel(modelDir, { batchSize: 1, precision });
        try {
          const all = await probaRows(batched, texts);
          expect(all).toHaveLength(texts.length);
          for (const [i, text] of texts.entries()) {
            const [alone] = await probaRows(single, [text]);
            for (let j = 0; j < 4; j++) expect(Math.abs(all[i]![j]! - alone![j]!)).toBeLessThan(tolerance);
          }
        } finally {
          await batched.dispose();
          await single.dispose();
        }
      });
    }

    // Dynamic quantization with one activation scale per tensor would make a text's int8 scores depend on the other
    // texts and the padding in its batch (0.11 apart on this model before activations were quantized per token).
    for (const graph of ['plain', 'fused'] as const) {
      it(`scores a text in int8 the same alone as among other texts and their padding (${graph} int8 graph)`, async () => {
        const dir = join(root, `batching-${graph}`);
        await buildTinyBertModel(dir, { seed: 5, graph });
        const texts = [longAbstract(), ...TOKENIZER_SENTENCES, ...syntheticAbstracts(10)];
        const batched = await loadModel(dir, { batchSize: 4, precision: 'int8' });
        const single = await loadModel(dir, { batchSize: 1, precision: 'int8' });
        try {
          const all = await probaRows(batched, texts);
          for (const [i, text] of texts.entries()) {
            const [alone] = await probaRows(single, [text]);
            for (let j = 0; j < 4; j++) expect(Math.abs(all[i]![j]! - alone![j]!)).toBeLessThan(1e-5);
          }
        } finally {
          await batched.dispose();
          await single.dispose();
        }
      });
    }

    it('answers an empty list with an empty list', async () => {
      const model = await loadModel(modelDir);
      try {
        expect(await probaRows(model, [])).toEqual([]);
      } finally {
        await model.dispose();
      }
    });

    it('serves concurrent calls correctly', async () => {
      const model = await loadModel(modelDir);
      try {
        const texts = syntheticAbstracts(6, 8);
        const [a, b] = await Promise.all([probaRows(model, texts), probaRows(model, [...texts].reverse())]);
        for (const [i, row] of a.entries()) expect(Array.from(row)).toEqual(Array.from(b[texts.length - 1 - i]!));
      } finally {
        await model.dispose();
      }
    });

    it('applies the manifest thresholds through loadClassifier, with probabilities in (0, 1)', async () => {
      const classifier = await loadClassifier(modelDir);
      try {
        expect(classifier.thresholds).toEqual({
          cardiovascular: 0.5,
          hepatorenal: 0.4,
          neurological: 0.55,
          oncological: 0.5,
        });
        const [prediction] = await classifier.classify(['Acute myocardial infarction treated with stents.']);
        expect(prediction!.proba.every((p) => p > 0 && p < 1)).toBe(true);
        expect(prediction!.labels.length).toBeGreaterThan(0);
      } finally {
        await classifier.dispose();
      }
    });

    it('loads the variant LoadOptions.precision asks for, overriding the manifest', async () => {
      const int8 = await loadModel(modelDir);
      const fp32 = await loadModel(modelDir, { precision: 'fp32' });
      try {
        const [a] = await probaRows(int8, ['Renal failure.']);
        const [b] = await probaRows(fp32, ['Renal failure.']);
        expect(Array.from(a!)).not.toEqual(Array.from(b!));
        for (let j = 0; j < 4; j++) expect(Math.abs(a![j]! - b![j]!)).toBeLessThan(0.05);
      } finally {
        await int8.dispose();
        await fp32.dispose();
      }
    });

    it('rejects a misspelt backendConfig key, naming it', async () => {
      const dir = await variant('typo', (m) => {
        (m.backendConfig as Record<string, unknown>).maxLenght = 128;
      });
      await expect(loadModel(dir)).rejects.toThrow(/maxLenght/);
    });

    it('rejects model file paths that leave the model folder', async () => {
      const dir = await variant('escape', (m) => {
        (m.backendConfig as { files: Record<string, string> }).files.fp32 = '../../etc/model.onnx';
      });
      await expect(loadModel(dir)).rejects.toThrow(ModelLoadError);
    });

    it('says which file is missing when the tokenizer is absent', async () => {
      const dir = await variant('no-tokenizer', () => {});
      await rm(join(dir, 'tokenizer.json'));
      await expect(loadModel(dir)).rejects.toThrow(/tokenizer\.json is missing/);
    });

    it("rejects an ONNX graph whose inputs are not a BERT classifier's", async () => {
      const dir = await variant('wrong-inputs', () => {});
      const g = new OnnxGraphBuilder('wrong');
      g.input('pixels', 'float32', ['batch', 4]);
      g.node('Identity', ['pixels'], { outputs: ['logits'] });
      g.output('logits', 'float32', ['batch', 4]);
      await writeFile(join(dir, 'onnx/model_quantized.onnx'), g.encode('not bert'));
      await expect(loadModel(dir)).rejects.toThrow(/expected input_ids, attention_mask/);
    });

    it('refuses to predict after dispose', async () => {
      const model = await loadModel(modelDir);
      await model.dispose();
      await expect(probaRows(model, ['x'])).rejects.toThrow(/disposed/);
    });
  },
);
