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
  const json = text && res.headers.get('content-type')?.startsWith('application/json') ? JSON.parse(text) : undefined;
  return { status: res.status, headers: res.headers, text, json: json as unknown };
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

describe('POST /predict counts what the model reads', () => {
  it('rejects a text whose NFKC form is over 20,000 characters, naming the length the model would read', async () => {
    // U+FDFA is one character sent and 18 after NFKC: 1,112 of them make 20,016.
    const res = await postJson({ texts: ['\uFDFA'.repeat(1_112)] });
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.details).toEqual([
      {
        path: '$.texts[0]',
        message: 'must be at most 20000 characters as the model reads it (after NFKC normalisation it is 20016)',
      },
    ]);
  });

  it('accepts a text whose NFKC form is exactly 20,000 characters', async () => {
    const res = await postJson({ texts: [`${'\uFDFA'.repeat(1_111)}ab`] });
    expect(res.status).toBe(200);
  });

  it("refuses the issue's 16 × 20,000 × U+FDFA request (960 KB, 360,000 characters each after NFKC) with 400", async () => {
    const res = await postJson({ texts: Array.from({ length: 16 }, () => '\uFDFA'.repeat(20_000)), explain: true });
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.details!.map((d) => d.path)).toEqual(
      Array.from({ length: 16 }, (_, i) => `$.texts[${i}]`),
    );
  });

  it('counts title + " " + abstract after NFKC for items', async () => {
    const res = await postJson({ items: [{ title: 'Stroke', abstract: '\uFDFA'.repeat(1_111) }] });
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.details).toEqual([
      {
        path: '$.items[0]',
        message:
          'title + " " + abstract must be at most 20000 characters as the model reads it (after NFKC normalisation it is 20005)',
      },
    ]);
  });
});

describe('POST /predict reads UTF-8 only', () => {
  const postBytes = (bytes: Buffer, contentType: string) =>
    call('/predict', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(bytes) });

  it('answers 400 invalid_utf8 naming the byte offset of a Windows-1252 byte sent without a charset', async () => {
    const bytes = Buffer.concat([Buffer.from('{"texts": ["caf'), Buffer.from([0xe9]), Buffer.from(' au lait"]}')]);
    const res = await postBytes(bytes, 'application/json');
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error).toMatchObject({
      code: 'invalid_utf8',
      details: [{ path: '$', message: 'byte 15 (0xE9) is not UTF-8' }],
    });
  });

  it('refuses a declared non-UTF-8 charset with 415 unsupported_charset', async () => {
    const bytes = Buffer.from('{"texts": ["caf\u00e9"]}', 'latin1');
    const res = await postBytes(bytes, 'application/json; charset=windows-1252');
    expect(res.status).toBe(415);
    expect((res.json as ErrorBody).error.code).toBe('unsupported_charset');
    expect((res.json as ErrorBody).error.message).toContain('charset=windows-1252');
  });

  it('reads UTF-8 whether the charset is declared (in any case, quoted) or not', async () => {
    const bytes = Buffer.from(JSON.stringify({ texts: ['Café: chest pain, troponin'] }), 'utf8');
    for (const contentType of [
      'application/json',
      'application/json; charset=UTF-8',
      'application/json;charset="utf-8"',
    ]) {
      const res = await postBytes(bytes, contentType);
      expect(res.status, contentType).toBe(200);
      expect((res.json as { input: string }[])[0]!.input).toBe('Café: chest pain, troponin');
    }
  });
});

describe('every answer says nosniff', () => {
  it('on JSON answers of every status, and on the page', async () => {
    const answers = [
      await postJson({ texts: ['chest pain'] }),
      await postJson({ texts: [] }),
      await postJson('texts=a', 'text/plain'),
      await postJson({ texts: ['x'.repeat(1_100_000)] }),
      await call('/health'),
      await call('/openapi.json'),
      await call('/nothing-here'),
      await call('/health', { method: 'DELETE' }),
      await call('/', { headers: { accept: 'text/html' } }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 400, 415, 413, 200, 200, 404, 405, 200]);
    for (const answer of answers) expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
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
    // spans_omitted (issue 16): a word's occurrences beyond the spans cap, only where there are any.
    expect(Object.keys(Term!.properties!)).toEqual(['text', 'weight', 'spans', 'spans_omitted']);
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
