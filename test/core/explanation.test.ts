import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '#core/classifier.ts';
import { decompositionError, explanationByLabel, labelEvidence, type TextExplanation } from '#core/explanation.ts';
import { LABELS } from '#core/labels.ts';
import type { Model } from '#core/model.ts';
import { NgramExtractor, normalizeText } from '#model/ngrams.ts';
import { explanationsOf, probaRows } from '../support/probaRows.ts';

// Random texts that stress what explanations depend on: words the model knows, case, punctuation inside and around
// words, whitespace of every kind, characters whose normalisation changes length or composes, astral characters.
const PIECES = [
  'troponin',
  'Chest',
  'PAIN',
  'renal',
  'cirrhosis',
  'glioma',
  'tumor',
  'stroke',
  'a',
  'I',
  '5',
  '12.5',
  '%',
  '(',
  ')',
  '-',
  '—',
  '/',
  ',',
  '.',
  ' ',
  '  ',
  '\n',
  '\t',
  '\u00a0',
  '\u2028',
  'ﬁ',
  'İ',
  'ＡＢＣ',
  'e\u0301',
  '\u0301',
  'Σ',
  'ΟΔΟΣ',
  '½',
  '㎏',
  '😀',
  '가',
  '\u1100\u1161',
  'ǅ',
  '_',
];
const textArbitrary = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }).map((parts) => parts.join('')),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.constantFrom('', ' ', '\n\t ', '.', 'a', '((', 'x'.repeat(3)),
);

let model: Model;
beforeAll(async () => {
  model = await loadModel();
});
afterAll(async () => model?.dispose());

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('linear backend explanations', () => {
  it("decompose every label's logit exactly: bias + Σ word contributions = logit (1e-9), and that logit gives the probability", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(textArbitrary, { minLength: 1, maxLength: 4 }), async (texts) => {
        const [probas, explanations] = await Promise.all([probaRows(model, texts), explanationsOf(model, texts)]);
        explanations.forEach((explanation, i) => {
          expect(decompositionError(explanation)).toBeLessThanOrEqual(1e-9);
          expect(Array.from(explanation.logit, sigmoid)).toEqual(Array.from(probas[i]!));
        });
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it('decompose long runs of one word too (a feature thousands of times), and their logit gives the probability', async () => {
    const texts = ['x '.repeat(100_000), 'heart '.repeat(100_000), 'the '.repeat(5_000)];
    const [probas, explanations] = await Promise.all([probaRows(model, texts), explanationsOf(model, texts)]);
    explanations.forEach((explanation, i) => {
      expect(decompositionError(explanation)).toBeLessThanOrEqual(1e-9);
      expect(Array.from(explanation.logit, sigmoid)).toEqual(Array.from(probas[i]!));
    });
  });

  it('explain the calibrated score of whichever expert answers: real abstracts, templates and snippets alike', async () => {
    const sentence = 'Patients with acute myocardial infarction and renal failure received dialysis after stenting. ';
    const texts = {
      snippet: 'Patient presents with chest pain and elevated troponin levels.',
      template:
        'dementia and cholecystitis: organ interplay Purpose: This randomized controlled study examined statins for diabetes in adult population. ' +
        'Methods: 461 participants were included. Results: decreased mortality rates. Implications: patient care improvement.',
      real: `Renal outcomes after infarction ${sentence.repeat(6)}`,
    } as const;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...(Object.keys(texts) as (keyof typeof texts)[])),
        fc.string({ maxLength: 30 }),
        async (kind, suffix) => {
          // A suffix keeps the kind (templates must end with their closing, so it goes in front of them).
          const text =
            kind === 'template' ? `${suffix.replace(/\s/g, '')} ${texts.template}` : `${texts[kind]} ${suffix}`;
          expect(model.router.kindOf(text)).toBe(kind);
          const [[proba], [explanation]] = await Promise.all([probaRows(model, [text]), explanationsOf(model, [text])]);
          expect(decompositionError(explanation!)).toBeLessThanOrEqual(1e-9);
          Array.from(explanation!.logit, sigmoid).forEach((p, l) => {
            expect(p).toBeCloseTo(proba![l]!, 14);
          });
        },
      ),
      { numRuns: 60, seed: 5 },
    );
  });

  it('give spans in the original text that cover each word as the model read it', async () => {
    await fc.assert(
      fc.asyncProperty(textArbitrary, async (text) => {
        const [explanation] = await explanationsOf(model, [text]);
        for (const word of explanation!.words) {
          for (const [start, end] of word.spans) {
            expect(0 <= start && start < end && end <= text.length).toBe(true);
            expect(normalizeText(text.slice(start, end))).toContain(word.text);
          }
        }
      }),
      { numRuns: 300, seed: 12 },
    );
  });

  it('map words whose normalisation changes length back to the characters the user typed', async () => {
    const text = 'ﬁbrosis in İstanbul: ＣＨＥＳＴ pain, cafe\u0301 😀 troponin';
    const [explanation] = await explanationsOf(model, [text]);
    const seen = Object.fromEntries(explanation!.words.map((w) => [w.text, w.spans.map(([s, e]) => text.slice(s, e))]));
    expect(seen).toMatchObject({
      fibrosis: ['ﬁbrosis'],
      i̇stanbul: ['İstanbul'],
      chest: ['ＣＨＥＳＴ'],
      pain: ['pain'],
      café: ['cafe\u0301'],
      troponin: ['troponin'],
    });
  });

  it("report one word per distinct text, with every occurrence's span", async () => {
    const text = 'Chest pain; chest X-ray. CHEST';
    const [explanation] = await explanationsOf(model, [text]);
    const chest = explanation!.words.find((w) => w.text === 'chest')!;
    expect(chest.spans).toEqual([
      [0, 5],
      [12, 17],
      [25, 30],
    ]);
  });

  it('treat a whitespace chunk without a word token as a word of its own', async () => {
    const [explanation] = await explanationsOf(model, ['stroke ( 5 % —']);
    expect(explanation!.words.map((w) => w.text)).toEqual(['stroke', '(', '5', '%', '—']);
  });
});

describe("the feature extractor's origins", () => {
  const config = {
    hashBits: 18,
    wordNgrams: [1, 2] as [number, number],
    charNgrams: [3, 5] as [number, number],
    sublinearTf: true,
  };

  it('leave the extracted occurrences unchanged and name one origin per occurrence', () => {
    fc.assert(
      fc.property(textArbitrary, (text) => {
        // The prediction path reads the raw text (NFKC skipped when ASCII); the explanation path its normalised form.
        const plain = new NgramExtractor(config).extract(text);
        const tracer = new NgramExtractor(config, { origins: true });
        const traced = tracer.extractNormalized(normalizeText(text));
        expect(Array.from(traced.word)).toEqual(Array.from(plain.word));
        expect(Array.from(traced.char)).toEqual(Array.from(plain.char));
        const origins = tracer.origins();
        expect(origins.word.length).toBe(2 * plain.word.length);
        expect(origins.char.length).toBe(2 * plain.char.length);
      }),
      { numRuns: 200, seed: 13 },
    );
  });

  it('follow other n-gram ranges too (words 1–3, characters 2–4, a chunk shorter than every n)', () => {
    const other = { ...config, wordNgrams: [1, 3] as [number, number], charNgrams: [4, 6] as [number, number] };
    const tracer = new NgramExtractor(other, { origins: true });
    const raw = tracer.extract('a bc chest pain troponin');
    expect(tracer.origins().word.length).toBe(2 * raw.word.length);
    expect(tracer.origins().char.length).toBe(2 * raw.char.length);
  });

  it('are only available when asked for', () => {
    const extractor = new NgramExtractor(config);
    extractor.extract('chest pain');
    expect(() => extractor.origins()).toThrow(/origins: true/);
  });
});

describe("label evidence (the API's terms and rest)", () => {
  const explanation: TextExplanation = {
    logit: Float64Array.from([1.5, 0, 0, 0]),
    bias: Float64Array.from([-1, 0, 0, 0]),
    words: [
      { text: 'low', spans: [[0, 3]], contributions: Float64Array.from([0.25, 0, 0, 0]) },
      { text: 'tie-a', spans: [[4, 9]], contributions: Float64Array.from([-1, 0, 0, 0]) },
      { text: 'zero', spans: [[10, 14]], contributions: Float64Array.from([0, 0, 0, 0]) },
      {
        text: 'tie-b',
        spans: [
          [15, 20],
          [30, 35],
        ],
        contributions: Float64Array.from([1, 0, 0, 0]),
      },
      { text: 'top', spans: [[21, 24]], contributions: Float64Array.from([2.25, 0, 0, 0]) },
    ],
  };

  it('sorts terms by |weight| descending, keeping text order on ties, and sums the rest', () => {
    const evidence = labelEvidence(explanation, 0, 3);
    expect(evidence.terms.map((t) => [t.text, t.weight])).toEqual([
      ['top', 2.25],
      ['tie-a', -1],
      ['tie-b', 1],
    ]);
    expect(evidence.terms[2]!.spans).toEqual([
      [15, 20],
      [30, 35],
    ]);
    expect(evidence.rest).toBe(0.25);
    expect(evidence.bias + evidence.terms.reduce((s, t) => s + t.weight, 0) + evidence.rest).toBeCloseTo(
      evidence.logit,
      12,
    );
  });

  it('never lists words that add nothing', () => {
    expect(labelEvidence(explanation, 0, 100).terms.map((t) => t.text)).not.toContain('zero');
    expect(labelEvidence(explanation, 1, 100).terms).toEqual([]);
  });

  it('keeps bias + Σ terms + rest = logit for every label and any n, on the real model', async () => {
    const [real] = await explanationsOf(model, [
      'Acute kidney injury after cardiac surgery in a patient with glioma; troponin and creatinine rose.',
    ]);
    for (const n of [1, 3, 10, 100]) {
      const byLabel = explanationByLabel(real!, n);
      expect(Object.keys(byLabel)).toEqual(['cardio', 'hepato', 'neuro', 'onco']);
      LABELS.forEach((_, l) => {
        const e = Object.values(byLabel)[l]!;
        expect(e.terms.length).toBeLessThanOrEqual(n);
        expect(Math.abs(e.bias + e.terms.reduce((s, t) => s + t.weight, 0) + e.rest - e.logit)).toBeLessThanOrEqual(
          1e-9,
        );
      });
    }
  });
});

describe('attribution to words', () => {
  it('splits a word pair evenly between its words, an n-gram across a hyphen between the words it covers, and gives punctuation to the word before it', async () => {
    const { attribute } = await import('#model/attribution.ts');
    const { normalizeWithOffsets } = await import('#core/textOffsets.ts');
    // "ab-cd x": tokens ab [0,2) and cd [3,5); chunks "ab-cd" and "x" (no token: a word of its own).
    const map = normalizeWithOffsets('ab-cd x', normalizeText);
    const origins = {
      tokens: Int32Array.from([0, 2, 3, 5]),
      chunks: Int32Array.from([0, 5, 6, 7]),
      word: Int32Array.from([0, 0, 1, 1, 0, 1]), // ab, cd, "ab cd"
      char: Int32Array.from([1, 4, 2, 3, 6, 7]), // "b-c", "-", "x"
    };
    const one = (w: number) => [w, 0, 0, 0];
    const explanation = attribute(
      map,
      origins,
      [
        {
          kind: 'word',
          slotOf: Int32Array.from([0, 1, 2]),
          value: Float64Array.from([1, 1, 1]),
          weights: Float64Array.from([...one(1), ...one(10), ...one(100)]),
        },
        {
          kind: 'char',
          slotOf: Int32Array.from([0, 1, 2]),
          value: Float64Array.from([1, 1, 1]),
          weights: Float64Array.from([...one(1000), ...one(10000), ...one(100000)]),
        },
      ],
      Float64Array.from([0.5, 0, 0, 0]),
      Float64Array.from([0.5 + 111111, 0, 0, 0]),
    );
    expect(explanation.words.map((w) => [w.text, w.contributions[0]])).toEqual([
      ['ab', 1 + 50 + 500 + 10000],
      ['cd', 10 + 50 + 500],
      ['x', 100000],
    ]);
    expect(decompositionError(explanation)).toBe(0);
  });
});
