import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { startTestStack } from '../support/localStack.ts';
import { buildTinyBertModel, hasSharedBert, SHARED_TOKENIZER_MISSING } from './tinyModel.ts';

if (!hasSharedBert) console.warn(SHARED_TOKENIZER_MISSING);

// The same local stack `npm start` runs, serving a bert-onnx folder given as the model directory (MODEL_DIR).
describe.skipIf(!hasSharedBert)(
  `serving a bert-onnx model through the API and the S3 path${hasSharedBert ? '' : ` (${SHARED_TOKENIZER_MISSING})`}`,
  () => {
    let dir: string;
    let stack: Awaited<ReturnType<typeof startTestStack>>;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cac-bert-serve-'));
      await buildTinyBertModel(join(dir, 'model'), { seed: 5 });
      stack = await startTestStack({ modelDir: join(dir, 'model') });
    });
    afterAll(async () => {
      await stack?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('/health names the bert-onnx model', async () => {
      const res = await fetch(`${stack.apiUrl}/health`);
      expect(await res.json()).toMatchObject({ status: 'ok', model: { name: 'tiny-bert', backend: 'bert-onnx' } });
    });

    it("/predict answers with the model's probabilities and version header", async () => {
      const res = await fetch(`${stack.apiUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: ['chest pain', 'renal failure'] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-model-name')).toBe('tiny-bert');
      const body = (await res.json()) as { proba: Record<string, number> }[];
      expect(body).toHaveLength(2);
      expect(Object.keys(body[0]!.proba)).toEqual(['cardio', 'hepato', 'neuro', 'onco']);
    });

    it('/predict with "explain" answers 400 explanation_unsupported naming the backend', async () => {
      const res = await fetch(`${stack.apiUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: ['chest pain'], explain: true }),
      });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('explanation_unsupported');
      expect(error.message).toContain('bert-onnx');
    });

    it('evaluates an uploaded CSV with it', async () => {
      await stack.s3.send(
        new PutObjectCommand({ Bucket: stack.bucket, Key: 'incoming/bert.csv', Body: syntheticCsv({ rows: 30 }) }),
      );
      await stack.idle();
      const report = await stack.s3.send(
        new GetObjectCommand({ Bucket: stack.bucket, Key: 'results/bert/report.txt' }),
      );
      expect(await report.Body!.transformToString()).toContain('tiny-bert@1.0.0 (bert-onnx)');
    });
  },
);
