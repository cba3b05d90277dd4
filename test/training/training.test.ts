import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadClassifier } from '#core/classifier.ts';
import { ModelLoadError } from '#core/errors.ts';
import { NgramExtractor } from '#model/ngrams.ts';
import { countOccurrences } from '#training/corpus.ts';
import type { ExpertPlan } from '#training/experts.ts';
import { kFoldAssignment } from '#training/fit.ts';
import { minimizeLbfgs } from '#training/lbfgs.ts';
import { SHIPPED_PLAN } from '#training/plans.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { train } from '../../scripts/train.ts';

describe('features', () => {
  const config = {
    hashBits: 20,
    wordNgrams: [1, 2] as [number, number],
    charNgrams: [2, 5] as [number, number],
    sublinearTf: true,
  };

  it('emits scikit-learn char_wb n-gram counts: every 2..5-gram of each space-padded word', () => {
    // " ab " has 3 bigrams, 2 trigrams, 1 four-gram; " abc " has 4 + 3 + 2 + 1.
    const raw = new NgramExtractor(config).extract('ab abc');
    expect(raw.char.length).toBe(3 + 2 + 1 + (4 + 3 + 2 + 1));
  });

  it('emits word unigrams and bigrams of tokens with at least two word characters', () => {
    // tokens: "heart", "failure", "nyha" ("a" and "2" are too short) → 3 unigrams + 2 bigrams.
    const raw = new NgramExtractor(config).extract('heart failure (a) nyha 2');
    expect(raw.word.length).toBe(5);
  });

  it('counts repeated n-grams once per bucket with their frequency', () => {
    const counts = countOccurrences(Int32Array.from([5, 3, 5, 5, 9]));
    expect(Array.from(counts.index)).toEqual([3, 5, 9]);
    expect(Array.from(counts.count)).toEqual([1, 3, 1]);
  });
});

describe('optimiser and folds', () => {
  it('L-BFGS finds the minimum of a convex quadratic', () => {
    const target = [3, -2, 0.5];
    const result = minimizeLbfgs(
      (x, g) => {
        let f = 0;
        for (let i = 0; i < x.length; i++) {
          const d = x[i]! - target[i]!;
          f += (i + 1) * d * d;
          g[i] = 2 * (i + 1) * d;
        }
        return f;
      },
      new Float64Array(3),
      { maxIterations: 100, history: 5, tolerance: 1e-10 },
    );
    expect(result.converged).toBe(true);
    Array.from(result.x).forEach((v, i) => {
      expect(v).toBeCloseTo(target[i]!, 6);
    });
  });

  it('assigns shuffled folds of equal size, the same for the same seed', () => {
    const a = kFoldAssignment(103, 5, 0);
    expect(Array.from(a)).toEqual(Array.from(kFoldAssignment(103, 5, 0)));
    expect(Array.from(a)).not.toEqual(Array.from(kFoldAssignment(103, 5, 1)));
    const sizes = [0, 1, 2, 3, 4].map((f) => a.filter((x) => x === f).length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });
});

describe('training', () => {
  let dir: string;
  // The shipped plan (one expert per kind), with fewer iterations and a smaller hash space so the suite stays quick.
  const plan: ExpertPlan = {
    ...SHIPPED_PLAN,
    experts: SHIPPED_PLAN.experts.map((e) => ({
      ...e,
      config: { ...e.config, maxIterations: 30, features: { ...e.config.features, hashBits: 16 } },
    })),
  };
  const fast = { plan, seeds: [0] };
  // One model every test may read; a test that needs another folder trains or copies its own.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cac-train-'));
    await writeFile(join(dir, 'train.csv'), syntheticCsv({ rows: 200, seed: 9, delimiter: ';' }));
    await train(join(dir, 'train.csv'), join(dir, 'a'), fast);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('is deterministic: the same data and seed give byte-identical artifacts', async () => {
    await train(join(dir, 'train.csv'), join(dir, 'again'), fast);
    const files = (await readdir(join(dir, 'a'))).sort();
    expect(files).toEqual((await readdir(join(dir, 'again'))).sort());
    expect(files).toContain('model.json');
    expect(files.filter((f) => f.endsWith('.bin')).length).toBeGreaterThan(0);
    for (const file of files) {
      expect(Buffer.compare(await readFile(join(dir, 'a', file)), await readFile(join(dir, 'again', file)))).toBe(0);
    }
  });

  it('records cross-validated metrics by kind, the routing and provenance in model.json, and the model loads and predicts', async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'a', 'model.json'), 'utf8')) as {
      router: unknown;
      metrics: {
        weighted_f1: number;
        cv: { folds: number };
        by_kind: Record<string, { n: number; weighted_f1: number }>;
      };
      provenance: { data: { rows: number; sha256: string }; code_version: string };
    };
    expect(manifest.metrics.cv.folds).toBe(5);
    expect(manifest.metrics.weighted_f1).toBeGreaterThan(0.8);
    expect(manifest.metrics.weighted_f1).toBeLessThanOrEqual(1);
    // Every row is scored once under the kind the router gives it; the snippet group adds titles and first sentences.
    const { all, real, template, snippet } = manifest.metrics.by_kind;
    expect(all!.n).toBe(200);
    const longRows = (real?.n ?? 0) + (template?.n ?? 0);
    expect(longRows).toBeGreaterThan(0);
    expect(longRows).toBeLessThanOrEqual(200);
    expect(snippet!.n).toBeGreaterThanOrEqual(200 - longRows);
    expect(manifest.router).toEqual(plan.router);
    expect(manifest.provenance.data).toMatchObject({ rows: 200, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const classifier = await loadClassifier(join(dir, 'a'));
    const [p] = await classifier.classify(['Coronary artery disease and heart failure with troponin rise']);
    expect(p!.labels).toEqual([0]);
  });

  it('refuses to replace an existing folder that is not a model folder', async () => {
    await mkdir(join(dir, 'precious'), { recursive: true });
    await writeFile(join(dir, 'precious', 'notes.txt'), 'keep me');
    await expect(train(join(dir, 'train.csv'), join(dir, 'precious'), fast)).rejects.toThrow(/not a model folder/);
    expect(await readFile(join(dir, 'precious', 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it("refuses weights that do not match the manifest's sha256, at the first text that needs them", async () => {
    await cp(join(dir, 'a'), join(dir, 'tampered'), { recursive: true });
    const file = (await readdir(join(dir, 'tampered'))).find((f) => f.startsWith('weights-'))!;
    const weights = await readFile(join(dir, 'tampered', file));
    weights.writeUInt8(weights.readUInt8(weights.length - 1) ^ 0xff, weights.length - 1);
    await writeFile(join(dir, 'tampered', file), weights);
    const classifier = await loadClassifier(join(dir, 'tampered'));
    const kind = file.slice('weights-'.length, -'.bin'.length);
    const texts = {
      real: `Coronary artery disease and heart failure. ${'Patients with renal failure received dialysis after stenting. '.repeat(6)}`,
      snippet: 'Coronary artery disease',
      template: 'x',
    };
    await expect(classifier.classify([texts[kind as 'real']])).rejects.toBeInstanceOf(ModelLoadError);
  });

  it('refuses a lexicon index that does not match its sha256 at the first request, and answers once it is whole again', async () => {
    await cp(join(dir, 'a'), join(dir, 'bad-lexicon'), { recursive: true });
    const path = join(dir, 'bad-lexicon', 'lexicon-index.bin');
    const good = await readFile(path);
    const bad = Buffer.from(good);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
    await writeFile(path, bad);
    const classifier = await loadClassifier(join(dir, 'bad-lexicon'));
    await expect(classifier.classify(['Coronary artery disease'])).rejects.toThrow(
      /lexicon-index\.bin does not match the sha256/,
    );
    // Not remembered: a failed read is tried again by the next request.
    await writeFile(path, good);
    const [p] = await classifier.classify(['Coronary artery disease and heart failure with troponin rise']);
    expect(p!.labels).toEqual([0]);
  });
});

describe('the committed embedded model', () => {
  it("loads and tags the original project's example as cardiovascular", async () => {
    const classifier = await loadClassifier();
    const [p] = await classifier.classify(['Patient presents with chest pain and elevated troponin levels.']);
    expect(p!.labels).toContain(0);
    expect(classifier.manifest.provenance).toMatchObject({ data: { file: 'challenge_train.csv', rows: 2964 } });
  });
});
