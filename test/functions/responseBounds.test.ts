import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHandler, createPredictHandler } from '#adapters/api/predictHandler.ts';
import { MAX_EXPLAINED_TERMS } from '#adapters/api/predictRequest.ts';
import {
  bodyPayloadBytes,
  doublyEscapedBytes,
  escapedBytes,
  MAX_RESPONSE_BYTES,
  MAX_SPANS_PER_TERM,
  responseBound,
} from '#adapters/api/responseBudget.ts';
import { DEFAULT_LIMITS } from '#adapters/config.ts';
import { type Classifier, classifierFor, loadClassifier, modelOf } from '#core/classifier.ts';
import type { TextExplanation } from '#core/explanation.ts';
import { LABELS } from '#core/labels.ts';
import { normalizeText } from '#model/ngrams.ts';
import { longAbstract } from '../../scripts/fixtures/bertTexts.ts';
import { fakeClassifier } from '../support/fakeClassifier.ts';

/**
 * Every `/predict` answer stays under MAX_RESPONSE_BYTES, counted as Lambda counts its 6 MB response limit (the
 * body escaped once more inside the result's JSON); a request whose answer could exceed it is refused before any
 * model work. The probes are the issue's: 992 KB of repeated two-letter words with explain_top 100, 64 texts of
 * 20,000 characters, and requests built to amplify.
 */
let classifier: Classifier;
let predict: ApiHandler;
const silent = new Logger({ logLevel: 'SILENT' });
beforeAll(async () => {
  classifier = await loadClassifier();
  predict = createPredictHandler({ getClassifier: async () => classifier, limits: DEFAULT_LIMITS, logger: silent });
});
afterAll(async () => classifier?.dispose());

const post = (handler: ApiHandler, body: unknown): ReturnType<ApiHandler> =>
  handler({
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST' } },
  } as unknown as APIGatewayProxyEventV2);

type Term = { text: string; weight: number; spans: [number, number][]; spans_omitted?: number };
type Explained = { input: string; explanation: Record<string, { terms: Term[] }> };
type ErrorBody = { error: { code: string; message: string; details?: { path?: string; message: string }[] } };

/** Two-letter words from a small vocabulary, `chars` characters: every word repeats hundreds of times. */
const twoLetterWords = (chars: number, seed: number): string =>
  Array.from({ length: Math.ceil(chars / 3) }, (_, k) =>
    String.fromCharCode(97 + ((k * 7 + seed) % 26), 97 + ((k * 3) % 26)),
  )
    .join(' ')
    .slice(0, chars)
    .trim();

/** Abstract-like text (medical words, numbers, punctuation, accents) of exactly `chars` characters. */
const abstractText = (chars: number, seed: number): string => longAbstract(4_000, seed).slice(0, chars);

/** A predict handler whose model fails the test if it is asked to compute anything. */
function refusingHandler(): ApiHandler {
  const real = fakeClassifier();
  const refuse = async (): Promise<never> => {
    throw new Error('the model was called for a request that should have been refused first');
  };
  const untouchable: Classifier = { ...real, canExplain: true, classify: refuse };
  return createPredictHandler({ getClassifier: async () => untouchable, limits: DEFAULT_LIMITS, logger: silent });
}

describe("the issue's probes", () => {
  it('refuses 992 KB of two-letter words with "explain_top": 100 as 400 at $.explain_top, before any model work', async () => {
    const texts = Array.from({ length: 49 }, (_, i) => twoLetterWords(20_000, i));
    const body = { texts, explain: true, explain_top: 100 };
    expect(JSON.stringify(body).length).toBeGreaterThan(960_000);
    const guarded = refusingHandler();

    const res = await post(guarded, body);

    expect(res.statusCode).toBe(400);
    const { error } = JSON.parse(res.body) as ErrorBody;
    expect(error.details).toEqual([
      {
        path: '$.explain_top',
        message: `explain_top × the number of texts must be at most ${MAX_EXPLAINED_TERMS}, got 100 × 49 = 4900; ask for fewer words per label or send fewer texts per request`,
      },
    ]);
  });

  it('answers 16 texts of repeated two-letter words with explain_top 100 within the bound, spans capped per word', async () => {
    const texts = Array.from({ length: 16 }, (_, i) => twoLetterWords(20_000, i));

    const res = await post(predict, { texts, explain: true, explain_top: 100 });

    expect(res.statusCode).toBe(200);
    expect(bodyPayloadBytes(res.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    const full = (await classifier.classify(texts, { explain: true })).map((p) => p.explanation!);
    const results = JSON.parse(res.body) as Explained[];
    let capped = 0;
    results.forEach((result, i) => {
      const byText = new Map(full[i]!.words.map((w) => [w.text, w.spans]));
      for (const evidence of Object.values(result.explanation))
        for (const term of evidence.terms) {
          const all = byText.get(term.text)!;
          expect(term.spans).toEqual(all.slice(0, MAX_SPANS_PER_TERM));
          expect(term.spans_omitted ?? 0).toBe(all.length - term.spans.length);
          if (term.spans_omitted) capped++;
        }
    });
    expect(capped).toBeGreaterThan(0);
  });

  it('refuses 64 texts of 20,000 characters as a body over 1 MB (413), before any model work', async () => {
    const texts = Array.from({ length: 64 }, (_, i) => abstractText(20_000, i));
    const guarded = refusingHandler();

    const res = await post(guarded, { texts, explain: true, explain_top: 25 });

    expect(res.statusCode).toBe(413);
    expect((JSON.parse(res.body) as ErrorBody).error.code).toBe('payload_too_large');
  });

  it('answers as many 20,000-character texts as 1 MB holds within the bound, with and without evidence', async () => {
    const texts = Array.from({ length: 48 }, (_, i) => abstractText(20_000, i));
    const top = Math.floor(MAX_EXPLAINED_TERMS / texts.length);

    const plain = await post(predict, { texts });
    const explained = await post(predict, { texts, explain: true, explain_top: top });

    expect(plain.statusCode).toBe(200);
    expect(bodyPayloadBytes(plain.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(explained.statusCode).toBe(200);
    expect(bodyPayloadBytes(explained.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
  });

  it('refuses with 413 response_too_large, before any model work, a request whose evidence could exceed the bound', async () => {
    // Each text is one 20,000-character "word" of control characters: listed under every label, escaped twice.
    const texts = Array.from({ length: 8 }, () => '\u0001'.repeat(20_000));
    const guarded = refusingHandler();

    const res = await post(guarded, { texts, explain: true, explain_top: 100 });

    expect(res.statusCode).toBe(413);
    const { error } = JSON.parse(res.body) as ErrorBody;
    expect(error.code).toBe('response_too_large');
    expect(error.message).toMatch(/send fewer texts per request or a lower explain_top/);
  });
});

describe('the answer never exceeds its bound', () => {
  const pieces = [
    'ab',
    'cd ',
    ' ',
    '\n',
    'chest pain ',
    'troponin',
    '"',
    '\\',
    '\u0001',
    '\t',
    '\uFDFA',
    'ﬁ',
    '𝐂',
    '\ud800',
    '医学',
    '(5%) ',
    'İ',
    'tumour-metastasis ',
  ];
  const text = (maxPieces: number) =>
    fc
      .array(fc.constantFrom(...pieces), { minLength: 1, maxLength: maxPieces })
      .chain((parts) => fc.integer({ min: 1, max: 400 }).map((times) => parts.join('').repeat(times).slice(0, 20_000)))
      .filter((t) => t.trim().length > 0);

  it('in a fuzz of explain requests: 200, 400 or 413, never more than MAX_RESPONSE_BYTES, and never above the computed bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(text(12), { minLength: 1, maxLength: 24 }),
        fc.integer({ min: 1, max: 100 }),
        async (texts, top) => {
          const res = await post(predict, { texts, explain: true, explain_top: top });
          expect([200, 400, 413]).toContain(res.statusCode);
          expect(bodyPayloadBytes(res.body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
          if (res.statusCode === 200)
            expect(bodyPayloadBytes(res.body)).toBeLessThanOrEqual(
              responseBound(texts, { top, maxSpans: MAX_SPANS_PER_TERM }, normalizeText),
            );
        },
      ),
      { numRuns: 40, seed: 16 },
    );
  });

  it('counts a string as JSON.stringify escapes it once (the body) and twice (the Lambda result)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const once = JSON.stringify(s);
        expect(escapedBytes(s)).toBe(Buffer.byteLength(once) - 2);
        expect(doublyEscapedBytes(s)).toBe(Buffer.byteLength(JSON.stringify(once)) - 6);
        expect(bodyPayloadBytes(once)).toBe(Buffer.byteLength(JSON.stringify(once)));
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('refuses an answer that would exceed the bound even when an explanation breaks what the bound assumes', async () => {
    // A backend whose words are not pieces of the text (a broken explanation): only the final check can catch it.
    const huge: TextExplanation = {
      logit: new Float64Array(LABELS.length),
      bias: new Float64Array(LABELS.length),
      words: [{ text: '"'.repeat(1_100_000), spans: [[0, 5]], contributions: new Float64Array(LABELS.length).fill(1) }],
    };
    const fake = fakeClassifier();
    const broken = classifierFor(
      modelOf(fake.manifest, '(broken)', {
        canExplain: true,
        score: async (texts) => ({
          logits: new Float64Array(texts.length * LABELS.length),
          proba: new Float64Array(texts.length * LABELS.length).fill(0.5),
          explanations: texts.map(() => huge),
        }),
        dispose: async () => {},
      }),
    );
    const handler = createPredictHandler({ getClassifier: async () => broken, limits: DEFAULT_LIMITS, logger: silent });

    const res = await post(handler, { texts: ['heart'], explain: true });

    expect(res.statusCode).toBe(413);
    expect((JSON.parse(res.body) as ErrorBody).error.code).toBe('response_too_large');
  });
});
