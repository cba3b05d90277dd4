import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR, loadModel } from '#core/classifier.ts';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import { LABELS } from '#core/labels.ts';
import { readManifest } from '#core/manifest.ts';
import type { Model } from '#core/model.ts';
import { calibrateLogits } from '#model/calibrator.ts';
import { rowLogits } from '#model/estimator.ts';
import { Lexicon } from '#model/lexicon.ts';
import type { LinearConfig } from '#model/linearModel.ts';
import { DEFAULT_ROUTER, Router } from '#model/router.ts';
import { Vectorizer, type VectorizerSettings } from '#model/vectorizer.ts';
import { decodeWeights } from '#model/weightsFile.ts';
import { featurizeCorpus } from '#training/corpus.ts';
import { buildDesign } from '#training/design.ts';
import { syntheticAbstracts } from '../../scripts/fixtures/bertTexts.ts';
import { EVERYDAY_PARAGRAPHS, EVERYDAY_SENTENCES } from '../../scripts/fixtures/everydayTexts.ts';
import { probaRows } from '../support/probaRows.ts';

const TRAINING_DATA = fileURLToPath(new URL('../../../shared/data/challenge_train.csv', import.meta.url));
const L = LABELS.length;

let root: string;
let model: Model;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cac-model-package-'));
  model = await loadModel();
});
afterAll(async () => {
  await model?.dispose();
  await rm(root, { recursive: true, force: true });
});

/** The committed model's experts as model.json describes them, with their weights files decoded. */
async function committedExperts() {
  const manifest = await readManifest(DEFAULT_MODEL_DIR);
  const config = manifest.backendConfig as unknown as LinearConfig;
  return Promise.all(
    config.experts.map(async (expert) => ({
      expert,
      weights: decodeWeights(await readFile(join(DEFAULT_MODEL_DIR, expert.weightsFile)), {
        name: expert.weightsFile,
        features: expert.buckets,
        hashBits: expert.features.hashBits,
        layout: expert.weightsLayout ?? 1,
        idf: expert.features.weighting !== 'binary',
      }),
    })),
  );
}

describe('one vectorizer for training and serving', () => {
  it.skipIf(!existsSync(TRAINING_DATA))(
    "gives every training row the same logits through the trainer's design matrix as through the served model (1e-9)",
    async () => {
      const csv = await openCsv(createReadStream(TRAINING_DATA));
      const { texts } = await readLabelledRecords(csv.records, csv.header);
      const scores = await model.score(texts);
      const manifest = await readManifest(DEFAULT_MODEL_DIR);
      const config = manifest.backendConfig as unknown as LinearConfig;
      const lexiconFile = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, config.lexicon!.file), 'utf8'));
      const lexicon = Lexicon.fromFile(lexiconFile);
      // The training path, per expert and row: n-gram counts and lexicon matches, the design matrix's row, X·w + b.
      const trainingLogits = new Map<string, Float64Array>();
      const matchesOf: Float64Array[] = [];
      for (const { expert, weights } of await committedExperts()) {
        const docs = featurizeCorpus(texts, expert.features, lexicon);
        docs.forEach((doc, r) => {
          matchesOf[r] ??= doc.matches ?? new Float64Array(L);
        });
        const X = buildDesign(
          docs,
          docs.map((_, r) => r),
          { index: weights.index, idf: weights.idf },
          expert.features,
        );
        const n = weights.index.features;
        const z = new Float64Array(texts.length * L);
        texts.forEach((_, r) => {
          for (let l = 0; l < L; l++) z[r * L + l] = expert.bias[l]!;
          for (let k = X.indptr[r]!; k < X.indptr[r + 1]!; k++) {
            const j = X.indices[k]!;
            for (let l = 0; l < L; l++)
              z[r * L + l]! +=
                X.values[k]! * (j < n ? weights.weights[j * L + l]! : expert.lexiconWeights![(j - n) * L + l]!);
          }
        });
        for (const kind of expert.kinds) trainingLogits.set(kind, z);
      }
      // The served answer is the routed expert's, or the honest expert's under the scope rule (layers/model/scope.ts).
      const scope = config.scope!;
      let worst = 0;
      let swapped = 0;
      texts.forEach((_, r) => {
        const kind = scores.kinds[r]!;
        let answeredBy = kind;
        if (scope.kinds.includes(kind) && matchesOf[r]!.every((m) => m === 0)) {
          const honest = trainingLogits.get(scope.honest)!.subarray(r * L, r * L + L);
          if (Math.max(...Array.from(honest, (v) => 1 / (1 + Math.exp(-v)))) < scope.below) answeredBy = scope.honest;
        }
        if (answeredBy !== kind) swapped++;
        const expert = config.experts.find((e) => e.kinds.includes(answeredBy))!;
        const z = trainingLogits.get(answeredBy)!.slice(r * L, r * L + L);
        calibrateLogits(expert.calibration!, z, 0);
        for (let l = 0; l < L; l++) worst = Math.max(worst, Math.abs(z[l]! - scores.logits[r * L + l]!));
      });
      expect(worst).toBeLessThanOrEqual(1e-9);
      // The rule is exercised the way the shipped model uses it: rarely, on real rows without a lexicon term.
      expect(swapped).toBeLessThan(texts.length / 100);
    },
  );
});

describe("serving's fused scoring", () => {
  // Texts for every branch: abstracts (binary presence, cached and uncached chunks), a word more than 255 times (the
  // logarithm past the sublinear table) and exactly 256 times (its edge), long runs of one word (a TF-IDF char block
  // summed feature by feature: from chunk sums, the correction would cancel its way to 1e-10), a paragraph 60 times
  // (many features just under that bar), NFKC and non-Latin text, a chunk longer than the cache keeps, nothing at all.
  const texts = [
    ...syntheticAbstracts(60),
    ...EVERYDAY_SENTENCES,
    ...EVERYDAY_PARAGRAPHS,
    'Hepatocellular carcinoma in cirrhotic patients treated with sorafenib',
    `${'troponin '.repeat(300)}rise`,
    'troponin '.repeat(256),
    'x '.repeat(10_000),
    'heart '.repeat(3_334),
    'the '.repeat(5_000),
    `${EVERYDAY_PARAGRAPHS[0]} `.repeat(60),
    'ＣＡＲＤＩＡＣ ﬁbrosis: Ærø, naïve café patients; 心筋梗塞 and β-blockers (n = 42)',
    `see ${'x'.repeat(120)} and https://example.org/a/very/long/path/that/is/one/chunk?with=query&and=more`,
    '',
    ' \t\n ',
  ];

  it('gives each committed expert the logits of its row (transform, then rowLogits): binary to the bit, TF-IDF within 1e-12', async () => {
    const manifest = await readManifest(DEFAULT_MODEL_DIR);
    const config = manifest.backendConfig as unknown as LinearConfig;
    const lexicon = Lexicon.fromFile(JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, config.lexicon!.file), 'utf8')));
    let extra: string[] = [];
    if (existsSync(TRAINING_DATA)) {
      const csv = await openCsv(createReadStream(TRAINING_DATA));
      extra = (await readLabelledRecords(csv.records, csv.header)).texts;
    }
    // The committed experts, and the settings they do not use: TF-IDF with raw counts, binary without the lexicon
    // block or a row scale (same vocabularies and weights).
    const setups = (await committedExperts()).flatMap(({ expert, weights }) => {
      const binary = expert.features.weighting === 'binary';
      const variant: VectorizerSettings = binary
        ? { ...expert.features, lexicon: false, rowScalePower: undefined }
        : { ...expert.features, sublinearTf: !expert.features.sublinearTf };
      return [
        { name: expert.kinds.join('/'), settings: expert.features as VectorizerSettings, expert, weights },
        { name: `${expert.kinds.join('/')} variant`, settings: variant, expert, weights },
      ];
    });
    for (const { name, settings, expert, weights } of setups) {
      const estimator = {
        weights: weights.weights,
        bias: Float64Array.from(expert.bias),
        dense: settings.lexicon ? Float64Array.from(expert.lexiconWeights!) : undefined,
      };
      // Two vectorizers, so that neither path's chunk cache or dedup state can help the other; each text twice over,
      // so both see cached and uncached chunks. The serving one also transforms and traces texts between its scores
      // (as evidence does in a container): whatever path ran before, its state must leave the next score exact.
      const serving = new Vectorizer(settings, weights.index, weights.idf, lexicon);
      const reference = new Vectorizer(settings, weights.index, weights.idf, lexicon);
      const fused = new Float64Array(L);
      const plain = new Float64Array(L);
      const all = [...texts, ...extra, ...texts];
      let compared = 0;
      all.forEach((text, i) => {
        if (i % 3 === 1) serving.transform(all[i - 1]!);
        if (i % 5 === 2) serving.transformTraced(text);
        const matches = serving.score(text, estimator, fused, 0);
        const row = reference.transform(text);
        rowLogits(row, estimator, plain, 0);
        if (settings.weighting === 'binary')
          expect(Array.from(fused), `${name}: ${text.slice(0, 60)}`).toEqual(Array.from(plain));
        // TF-IDF serving adds the char block's terms chunk by chunk (each chunk's sums kept in the cache), then
        // corrects the repeated features: the same terms as rowLogits adds feature by feature, in another order.
        else
          fused.forEach((z, l) => {
            expect(Math.abs(z - plain[l]!), `${name}: ${text.slice(0, 60)}`).toBeLessThanOrEqual(1e-12);
          });
        expect(Array.from(matches)).toEqual(Array.from(row.matches));
        compared++;
      });
      expect(compared).toBe(2 * texts.length + extra.length);
    }
    expect(
      setups.map((s) => `${s.settings.weighting ?? 'tfidf'} ${s.settings.sublinearTf} ${!!s.settings.lexicon}`),
    ).toEqual(
      expect.arrayContaining(['binary false true', 'binary false false', 'tfidf true true', 'tfidf false true']),
    );
  });
});

describe('one hidden class per vectorizer part', () => {
  // What V8 keeps per field: a small integer, a double, or a reference to an object of some class. A field that
  // changes kind after the hot loops were optimised throws their code away (seen: TF-IDF scoring left on slower code
  // for good in 4 runs of 10), so every expert's vectorizer must give each field the same kind from its construction.
  const kindOf = (v: unknown): string => {
    if (v === null || v === undefined) return String(v);
    // Node's x64 builds keep 32-bit small integers (no pointer compression): any int32 is one, a hash included.
    if (typeof v === 'number')
      return Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 ? 'small integer' : 'double';
    if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
    return typeof v;
  };
  const shapeOf = (o: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries(o as object).map(([k, v]) => [k, kindOf(v)]));
  const partsOf = (v: Vectorizer) => {
    const fields = v as unknown as Record<string, unknown>;
    return {
      vectorizer: shapeOf(v),
      extractor: shapeOf(fields.extractor),
      tracer: shapeOf(fields.tracer),
      cache: shapeOf(v.cache),
      index: shapeOf(v.index),
    };
  };

  it("is the same in every committed expert's vectorizer, binary or TF-IDF, before and after scoring and explaining", async () => {
    const manifest = await readManifest(DEFAULT_MODEL_DIR);
    const config = manifest.backendConfig as unknown as LinearConfig;
    const lexicon = Lexicon.fromFile(JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, config.lexicon!.file), 'utf8')));
    const shapes: unknown[] = [];
    for (const { expert, weights } of await committedExperts()) {
      const vectorizer = new Vectorizer(expert.features, weights.index, weights.idf, lexicon);
      shapes.push(partsOf(vectorizer));
      const estimator = { weights: weights.weights, bias: Float64Array.from(expert.bias), dense: undefined };
      vectorizer.score(syntheticAbstracts(1)[0]!, estimator, new Float64Array(L), 0);
      vectorizer.transformTraced('Ｃａｒｄｉａｃ arrest in café patients');
      shapes.push(partsOf(vectorizer));
    }
    expect(new Set(config.experts.map((e) => e.features.weighting ?? 'tfidf'))).toEqual(new Set(['binary', 'tfidf']));
    for (const shape of shapes) expect(shape).toEqual(shapes[0]);
  });

  it('refuses, when it is built, a TF-IDF vectorizer without an IDF for every feature (binary needs none)', async () => {
    const experts = await committedExperts();
    const tfidf = experts.find((e) => e.expert.features.weighting !== 'binary')!;
    const binary = experts.find((e) => e.expert.features.weighting === 'binary')!;
    const { index, idf } = tfidf.weights;
    const settings = { ...tfidf.expert.features, lexicon: false };
    expect(() => new Vectorizer(settings, index, undefined)).toThrow(/IDF of every feature/);
    expect(() => new Vectorizer(settings, index, idf!.subarray(0, index.features - 1))).toThrow(/IDF of every feature/);
    expect(() => new Vectorizer(settings, index, idf)).not.toThrow();
    expect(
      () => new Vectorizer({ ...binary.expert.features, lexicon: false }, binary.weights.index, undefined),
    ).not.toThrow();
  });
});

describe('the router is data', () => {
  const TEN_WORDS = 'Acute kidney injury after cardiac surgery in older adults with diabetes';

  it('routes with the settings of the model folder it was loaded from', async () => {
    const manifest = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    expect(manifest.router).toEqual(DEFAULT_ROUTER);
    const dir = join(root, 'short-snippets');
    await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({ ...manifest, router: { ...manifest.router, snippet: { maxTokens: 5 } } }),
    );
    const other = await loadModel(dir);
    try {
      expect(model.router.kindOf(TEN_WORDS)).toBe('snippet');
      expect(other.router.kindOf(TEN_WORDS)).toBe('real');
      expect((await other.score([TEN_WORDS])).kinds).toEqual(['real']);
    } finally {
      await other.dispose();
    }
  });

  it('routes a folder written before routing became data with the defaults and its recorded cut-off', async () => {
    const manifest = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    const { router: _, ...legacy } = manifest;
    const dir = join(root, 'legacy-router');
    await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
    await writeFile(join(dir, 'model.json'), JSON.stringify({ ...legacy, kinds: { snippetMaxTokens: 5 } }));
    const old = await loadModel(dir);
    try {
      expect(old.router.settings).toEqual({ ...DEFAULT_ROUTER, snippet: { maxTokens: 5 } });
    } finally {
      await old.dispose();
    }
  });

  it('refuses a router setting it does not know, naming it', async () => {
    const manifest = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    const dir = join(root, 'bad-router');
    await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({ ...manifest, router: { ...manifest.router, snippets: {} } }),
    );
    await expect(loadModel(dir)).rejects.toThrow(/router/);
  });
});

describe('model folders written before weights layout 2', () => {
  it('load and give the same probabilities as the committed model', async () => {
    // The same experts, written the old way: ascending buckets, IDF, weights; no `weightsLayout`.
    const manifest = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    const dir = join(root, 'layout-1');
    await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
    const { createHash } = await import('node:crypto');
    const experts = [];
    for (const { expert, weights } of await committedExperts()) {
      const n = expert.buckets;
      const bytes = Buffer.alloc(n * 4 * (2 + L));
      weights.index.buckets().forEach((bucket, i) => {
        bytes.writeUInt32LE(bucket, i * 4);
      });
      for (let i = 0; i < n; i++) bytes.writeFloatLE(weights.idf?.[i] ?? 1, n * 4 + i * 4);
      for (let i = 0; i < n * L; i++) bytes.writeFloatLE(weights.weights[i]!, n * 8 + i * 4);
      await writeFile(join(dir, expert.weightsFile), bytes);
      const { weightsLayout: _, ...old } = expert;
      experts.push({ ...old, weightsSha256: createHash('sha256').update(bytes).digest('hex') });
    }
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({ ...manifest, backendConfig: { ...manifest.backendConfig, experts } }),
    );
    const old = await loadModel(dir);
    try {
      const texts = [
        'Patient presents with chest pain and elevated troponin levels.',
        `Renal outcomes after infarction. ${'Patients with acute myocardial infarction and renal failure received dialysis. '.repeat(5)}`,
        'dementia and cholecystitis: organ interplay Purpose: This randomized controlled study examined statins for diabetes in adult population. Methods: 461 participants were included. Results: decreased mortality rates. Implications: patient care improvement.',
      ];
      expect(await probaRows(old, texts)).toEqual(await probaRows(model, texts));
    } finally {
      await old.dispose();
    }
  });

  it('without a lexicon index, build the matcher from lexicon.json and answer exactly as with it', async () => {
    const manifest = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8'));
    expect(manifest.backendConfig.lexicon.index.file).toBe('lexicon-index.bin');
    const dir = join(root, 'no-lexicon-index');
    await cp(DEFAULT_MODEL_DIR, dir, { recursive: true });
    await rm(join(dir, 'lexicon-index.bin'));
    const { index: _, ...lexicon } = manifest.backendConfig.lexicon;
    await writeFile(
      join(dir, 'model.json'),
      JSON.stringify({ ...manifest, backendConfig: { ...manifest.backendConfig, lexicon } }),
    );
    const old = await loadModel(dir);
    try {
      const csv = existsSync(TRAINING_DATA) ? await openCsv(createReadStream(TRAINING_DATA)) : undefined;
      const texts = csv
        ? (await readLabelledRecords(csv.records, csv.header)).texts
        : [
            'Acute renal failure after cardiac surgery.',
            'Glioblastoma and seizures: tumor resection outcomes in adults.',
            'The quick brown fox jumps over the lazy dog.',
          ];
      const [a, b] = [await old.score(texts), await model.score(texts)];
      expect(Array.from(a.matches!)).toEqual(Array.from(b.matches!));
      expect(Array.from(a.logits)).toEqual(Array.from(b.logits));
      expect(a.matches!.some((m) => m > 0)).toBe(true);
    } finally {
      await old.dispose();
    }
  });
});

describe('one routing per text', () => {
  it('asks the router once per text for scores with evidence, and not at all when the kinds are given', async () => {
    const router = model.router as Router;
    const calls: string[] = [];
    const original = router.kindOf.bind(router);
    router.kindOf = (text: string) => {
      calls.push(text);
      return original(text);
    };
    try {
      const texts = ['Chest pain and troponin.', 'Glioma resection outcomes in 40 adults with seizures and headaches.'];
      const scores = await model.score(texts, { explain: true });
      expect(calls).toEqual(texts);
      await model.score(texts, { explain: true, kinds: scores.kinds });
      expect(calls).toEqual(texts);
    } finally {
      router.kindOf = original;
    }
  });
});

describe('one routing per row in the CSV pipeline', () => {
  it("routes each row once, with the evidence column and the report's explained misclassified rows", async () => {
    const { classifierFor } = await import('#core/classifier.ts');
    const { evaluateCsv } = await import('#core/pipeline/evaluateCsv.ts');
    const { syntheticCsv } = await import('../../scripts/fixtures/csvFixtures.ts');
    const { Readable } = await import('node:stream');
    const router = model.router as Router;
    let calls = 0;
    const original = router.kindOf.bind(router);
    router.kindOf = (text: string) => {
      calls++;
      return original(text);
    };
    try {
      const summary = await evaluateCsv(
        Readable.from([Buffer.from(syntheticCsv({ rows: 120, seed: 4 }))]),
        classifierFor(model),
        { write: () => {} },
        { batchSize: 32, evidence: { top: 3, column: true, misclassified: true } },
      );
      expect(summary.misclassified?.length).toBeGreaterThan(0);
      expect(calls).toBe(120);
    } finally {
      router.kindOf = original;
    }
  });
});

describe('Router', () => {
  it('is one implementation whatever the settings: a template rule with other phrases routes by them', () => {
    const router = new Router({
      template: { openings: ['Aim: '], closing: { leads: ['Result: '], phrases: ['done'] }, maxChars: 80 },
      snippet: { maxTokens: 3 },
    });
    expect(router.kindOf('Title here Aim: test the router. Result: done.')).toBe('template');
    expect(router.kindOf('Title here Hypothesis: test the router. Result: done.')).toBe('real');
    expect(router.kindOf('three word title')).toBe('snippet');
  });
});
