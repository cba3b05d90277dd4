import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { validate } from '@readme/openapi-parser';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, labelNames, loadClassifier, shortNames, toShortProba } from '#core/classifier.ts';
import { FINGERPRINTS_FILE } from '#core/inSample.ts';
import { startTestStack } from '../support/localStack.ts';

let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack({ limits: { maxTexts: 64, maxTextChars: 20_000, maxBodyBytes: 1_048_576 } });
});
afterAll(async () => stack?.stop());

async function call(path: string, init: RequestInit = {}) {
  const res = await fetch(`${stack.apiUrl}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as unknown) : undefined };
}

const postJson = (body: unknown, contentType = 'application/json') =>
  call('/predict', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

type ErrorBody = {
  error: { code: string; message: string; details?: { path?: string; message: string }[]; requestId?: string };
};

describe('POST /predict', () => {
  it("answers the original project's example request with the cardio label", async () => {
    const res = await postJson({ texts: ['Patient presents with chest pain and elevated troponin levels.'] });
    expect(res.status).toBe(200);
    const [first] = res.json as {
      input: string;
      proba: Record<string, number>;
      labels_short: string[];
      labels: string[];
    }[];
    expect(first!.input).toBe('Patient presents with chest pain and elevated troponin levels.');
    expect(Object.keys(first!.proba)).toEqual(['cardio', 'hepato', 'neuro', 'onco']);
    expect(first!.labels_short).toContain('cardio');
    expect(first!.labels).toContain('cardiovascular');
    expect(res.headers.get('x-model-version')).toMatch(/\S+/);
  });

  it('accepts title/abstract items and answers one element per item, in order', async () => {
    const res = await postJson({
      items: [
        { title: 'Glioblastoma resection outcomes', abstract: 'Tumor recurrence after surgery for brain cancer.' },
        { title: 'Acute kidney injury', abstract: 'Renal failure and creatinine in hepatic cirrhosis.' },
      ],
    });
    expect(res.status).toBe(200);
    const body = res.json as { input: string; labels: string[] }[];
    expect(body.map((b) => b.input)).toEqual([
      'Glioblastoma resection outcomes Tumor recurrence after surgery for brain cancer.',
      'Acute kidney injury Renal failure and creatinine in hepatic cirrhosis.',
    ]);
    expect(body[1]!.labels).toContain('hepatorenal');
  });

  it('rejects a body that is not JSON with 400 invalid_json', async () => {
    const res = await postJson('{"texts": [');
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.code).toBe('invalid_json');
  });

  it('rejects schema violations with 400 and the JSON path of each problem', async () => {
    const res = await postJson({ texts: ['fine', '', 42, '   '] });
    expect(res.status).toBe(400);
    const { error } = res.json as ErrorBody;
    expect(error.code).toBe('invalid_request');
    expect(error.details!.map((d) => d.path)).toEqual(['$.texts[1]', '$.texts[2]', '$.texts[3]']);
  });

  it('rejects more than 64 texts and texts over 20,000 characters', async () => {
    const many = await postJson({ texts: Array.from({ length: 65 }, () => 'heart') });
    expect(many.status).toBe(400);
    expect((many.json as ErrorBody).error.details![0]!.path).toBe('$.texts');
    const long = await postJson({ texts: ['a'.repeat(20_001)] });
    expect(long.status).toBe(400);
    expect((long.json as ErrorBody).error.details![0]!.path).toBe('$.texts[0]');
  });

  it('rejects both or neither request form, and unknown fields', async () => {
    for (const body of [{}, { texts: ['a'], items: [{ title: 'b' }] }, { text: ['a'] }, [], null, 'texts']) {
      const res = await postJson(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
  });

  it('rejects a body over 1 MB with 413', async () => {
    const res = await postJson({ texts: ['x'.repeat(1_100_000)] });
    expect(res.status).toBe(413);
    expect((res.json as ErrorBody).error.code).toBe('payload_too_large');
  });

  it('rejects a body that is not application/json with 415', async () => {
    const res = await postJson('texts=hello', 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect((res.json as ErrorBody).error.code).toBe('unsupported_media_type');
  });

  it('answers 405 with an Allow header for GET /predict', async () => {
    const res = await call('/predict');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect((res.json as ErrorBody).error.code).toBe('method_not_allowed');
  });

  it('never answers 500 or leaks a stack trace, whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ texts: v })),
          fc.jsonValue().map((v) => JSON.stringify({ items: v })),
        ),
        async (body) => {
          const res = await postJson(body);
          expect([200, 400]).toContain(res.status);
          expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+/);
        },
      ),
      { numRuns: 60, seed: 42 },
    );
  });
});

type LabelEvidence = {
  logit: number;
  bias: number;
  terms: { text: string; weight: number; spans: [number, number][] }[];
  rest: number;
};
type Explained = {
  input: string;
  proba: Record<string, number>;
  labels_short: string[];
  explanation: Record<string, LabelEvidence>;
};
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('POST /predict with "explain"', () => {
  const TEXT = 'Patient presents with chest pain and elevated troponin levels.';

  it('answers without "explain" the prototype\'s four fields first and in order (input, proba, labels_short, labels), then kind and confidence', async () => {
    const texts = [TEXT, 'Glioblastoma recurrence after resection; renal failure.'];
    const classifier = await loadClassifier();
    const predictions = await classifier.classify(texts);
    const expected = JSON.stringify(
      predictions.map((p, i) => ({
        input: texts[i],
        proba: toShortProba(p.proba),
        labels_short: shortNames(p.labels),
        labels: labelNames(p.labels),
        kind: p.kind,
        confidence: p.confidence,
      })),
    );
    await classifier.dispose();
    const res = await postJson({ texts });
    expect(res.text).toBe(expected);
  });

  it('adds per label the logit, bias, top 10 terms and rest, with bias + Σ terms.weight + rest = logit', async () => {
    const res = await postJson({ texts: [TEXT], explain: true });
    expect(res.status).toBe(200);
    const [result] = res.json as Explained[];
    expect(Object.keys(result!.explanation)).toEqual(['cardio', 'hepato', 'neuro', 'onco']);
    for (const [label, e] of Object.entries(result!.explanation)) {
      expect(sigmoid(e.logit), label).toBe(result!.proba[label]);
      expect(e.terms.length).toBeLessThanOrEqual(10);
      expect(Math.abs(e.bias + e.terms.reduce((sum, t) => sum + t.weight, 0) + e.rest - e.logit)).toBeLessThanOrEqual(
        1e-9,
      );
      const magnitudes = e.terms.map((t) => Math.abs(t.weight));
      expect(magnitudes).toEqual([...magnitudes].sort((a, b) => b - a));
    }
    expect(result!.explanation.cardio!.terms.map((t) => t.text)).toContain('troponin');
  });

  it('gives spans that point into "input", also for title/abstract items', async () => {
    const res = await postJson({
      items: [{ title: 'Chest PAIN', abstract: 'Elevated ＴＲＯＰＯＮＩＮ after chest trauma.' }],
      explain: true,
      explain_top: 100,
    });
    expect(res.status).toBe(200);
    const [result] = res.json as Explained[];
    const chest = result!.explanation.cardio!.terms.find((t) => t.text === 'chest')!;
    expect(chest.spans.map(([s, e]) => result!.input.slice(s, e))).toEqual(['Chest', 'chest']);
    const troponin = result!.explanation.cardio!.terms.find((t) => t.text === 'troponin')!;
    expect(troponin.spans.map(([s, e]) => result!.input.slice(s, e))).toEqual(['ＴＲＯＰＯＮＩＮ']);
  });

  it('lists at most explain_top terms per label', async () => {
    const res = await postJson({ texts: [TEXT], explain: true, explain_top: 2 });
    const [result] = res.json as Explained[];
    for (const e of Object.values(result!.explanation)) expect(e.terms.length).toBeLessThanOrEqual(2);
    expect(result!.explanation.cardio!.terms).toHaveLength(2);
  });

  it('rejects explain_top outside 1..100, not an integer, or without "explain": true, with the path', async () => {
    for (const body of [
      { texts: [TEXT], explain: true, explain_top: 0 },
      { texts: [TEXT], explain: true, explain_top: 101 },
      { texts: [TEXT], explain: true, explain_top: 2.5 },
      { texts: [TEXT], explain_top: 5 },
      { texts: [TEXT], explain: false, explain_top: 5 },
    ]) {
      const res = await postJson(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        (res.json as ErrorBody).error.details!.map((d) => d.path),
        JSON.stringify(body),
      ).toEqual(['$.explain_top']);
    }
  });

  it('rejects an "explain" that is not a boolean', async () => {
    const res = await postJson({ texts: [TEXT], explain: 'yes' });
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.details![0]!.path).toBe('$.explain');
  });
});

describe('the local server', () => {
  it('keeps serving after a client aborts in the middle of a request body', async () => {
    const { port, hostname } = new URL(stack.apiUrl);
    const interim = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => {
        // Node answers `Expect: 100-continue` with "100 Continue" as it hands the request to the handler, so once that
        // arrives the server is reading the body: part of it follows, then the connection closes.
        socket.write(
          'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n',
        );
      });
      socket.once('data', (answer: Buffer) => {
        socket.write('{"texts": [', () => socket.destroy());
        socket.once('close', () => resolve(answer.toString('latin1')));
      });
      socket.on('error', reject);
    });
    expect(interim).toMatch(/^HTTP\/1\.1 100 Continue\r\n/);
    const res = await call('/health');
    expect(res.status).toBe(200);
  });
});

describe('GET routes', () => {
  it('GET /health names the model and the kinds of text it has an expert for', async () => {
    const res = await call('/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      status: 'ok',
      model: {
        name: 'nb-logreg-experts',
        backend: 'linear',
        labels: ['cardiovascular', 'hepatorenal', 'neurological', 'oncological'],
        kinds: ['real', 'template', 'snippet'],
      },
    });
  });

  it('GET /health gives the request limits /predict applies (from the same config) and the training file it was trained on', async () => {
    const limited = await startTestStack({ limits: { maxTexts: 3, maxTextChars: 500, maxBodyBytes: 10_000 } });
    try {
      const res = await fetch(`${limited.apiUrl}/health`);
      const body = (await res.json()) as {
        limits: unknown;
        model: { training_data?: { sha256: string; rows: number } };
      };
      expect(body.limits).toEqual({ max_texts: 3, max_text_chars: 500, max_body_bytes: 10_000 });
      expect(body.model.training_data).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), rows: 2964 });
      const tooMany = await fetch(`${limited.apiUrl}/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ texts: ['a', 'b', 'c', 'd'] }),
      });
      expect(tooMany.status).toBe(400);
    } finally {
      await limited.stop();
    }
  });

  it("GET /training-fingerprints gives the model folder's fingerprints file as stored", async () => {
    const res = await fetch(`${stack.apiUrl}/training-fingerprints`);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(bytes.equals(await readFile(join(DEFAULT_MODEL_DIR, FINGERPRINTS_FILE)))).toBe(true);
  });

  it('GET / welcomes and lists the endpoints', async () => {
    const res = await call('/');
    expect(res.status).toBe(200);
    expect((res.json as { endpoints: Record<string, string> }).endpoints).toHaveProperty('POST /predict');
  });

  it('GET /openapi.json is a valid OpenAPI 3.1 document that carries the request limits', async () => {
    const res = await call('/openapi.json');
    expect(res.status).toBe(200);
    const doc = res.json as { openapi: string; components: { schemas: Record<string, unknown> } };
    expect(doc.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(doc) as never);
    expect(result).toMatchObject({ valid: true });
    expect(JSON.stringify(doc.components.schemas.PredictRequest)).toContain('"maxItems":64');
  });

  it('GET /openapi.json describes "explain", "explain_top" and the explanation of each prediction', async () => {
    const doc = (await call('/openapi.json')).json as {
      components: { schemas: Record<string, { properties?: Record<string, { maximum?: number }> }> };
    };
    const { PredictRequest, Prediction, LabelEvidence, Term } = doc.components.schemas;
    expect(Object.keys(PredictRequest!.properties!)).toEqual(expect.arrayContaining(['explain', 'explain_top']));
    expect(PredictRequest!.properties!.explain_top!.maximum).toBe(100);
    expect(Prediction!.properties).toHaveProperty('explanation');
    expect(Object.keys(LabelEvidence!.properties!)).toEqual(['logit', 'bias', 'terms', 'rest']);
    expect(Object.keys(Term!.properties!)).toEqual(['text', 'weight', 'spans']);
  });

  it('answers unknown routes with 404 and the JSON error body', async () => {
    const res = await call('/nothing-here');
    expect(res.status).toBe(404);
    expect((res.json as ErrorBody).error).toMatchObject({ code: 'not_found' });
  });

  it('answers a wrong method on a known route with 405', async () => {
    const res = await call('/health', { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET');
  });
});
