import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { predictRequestSchema } from '#adapters/api/predictRequest.ts';
import { acceptPredictRequest } from '#adapters/api/predictRequestFast.ts';
import { MAX_EXPLAINED_TERMS } from '#adapters/api/requestBounds.ts';
import type { ApiLimits } from '#adapters/config.ts';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { acceptManifest } from '#core/manifestFast.ts';
import { manifestSchema } from '#core/manifestSchema.ts';
import { mulberry32 } from '#core/random.ts';
import { acceptLinearConfig } from '#model/linearConfigFast.ts';
import { linearConfigSchema } from '#model/linearConfigSchema.ts';

/**
 * The validators' fast paths (#core/plainJson.ts) against their zod schemas, input by input: whatever a fast path
 * takes, its schema takes too, and the fast path returns exactly the schema's value (same fields, same order, same
 * defaults); what it does not take goes to the schema. Inputs: the committed model.json and the API's usual
 * requests, each field of them deleted or replaced by values of every type and edge, keys added, and random
 * requests. Each fast path must also take the well-formed inputs themselves, or the cold start would pay zod.
 */

interface Schema {
  safeParse(input: unknown): { success: boolean; data?: unknown };
}

/** Runs both on every input; returns how many the fast path took. */
function differential(fast: (input: never) => unknown, schema: Schema, inputs: readonly unknown[]): number {
  let taken = 0;
  for (const input of inputs) {
    const before = JSON.stringify(input);
    const got = fast(input as never);
    expect(JSON.stringify(input), 'the fast path must not change its input').toBe(before);
    if (got === undefined) continue;
    taken++;
    const parsed = schema.safeParse(input);
    if (!parsed.success) expect.fail(`the fast path took what the schema refuses: ${before.slice(0, 400)}`);
    expect(JSON.stringify(got)).toBe(JSON.stringify(parsed.data));
    expect(got).toStrictEqual(parsed.data);
  }
  return taken;
}

/** Values of every JSON type, at the edges the schemas test (bounds, integers, lengths, hex digests). */
const EDGES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1,
  0.5,
  1.5,
  2,
  9,
  10,
  24,
  25,
  2 ** 53,
  -0,
  '',
  ' ',
  'x',
  'linear',
  'real',
  'snippet',
  'tfidf',
  'binary',
  'a'.repeat(64),
  '0'.repeat(64),
  '0'.repeat(63),
  [],
  [1],
  [1, 2],
  [1, 2, 3, 4],
  ['x'],
  ['real'],
  [''],
  {},
  { x: 1 },
];

type Json = unknown;
type Path = (string | number)[];

function pathsOf(value: Json, path: Path = []): Path[] {
  const out: Path[] = [path];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...path, i]));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...path, k]));
  return out;
}

/** A copy of `document` with the value at `path` replaced (or, with `remove`, deleted). */
function edited(
  document: Json,
  path: Path,
  replace: (parent: Record<string | number, Json>, key: string | number) => void,
) {
  const copy = structuredClone(document) as Record<string | number, Json>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  replace(parent, path.at(-1)!);
  return copy;
}

/** Every path of `document` deleted, replaced by each edge value, and every object given an extra key. */
function mutations(document: Json): Json[] {
  const out: Json[] = [document];
  for (const path of pathsOf(document)) {
    if (path.length === 0) continue;
    out.push(
      edited(document, path, (parent, key) =>
        Array.isArray(parent) ? parent.splice(Number(key), 1) : delete parent[key],
      ),
    );
    for (const edge of [...EDGES, undefined])
      out.push(
        edited(document, path, (parent, key) => {
          parent[key] = structuredClone(edge);
        }),
      );
  }
  for (const path of pathsOf(document)) {
    const at = path.reduce<Json>((v, k) => (v as Record<string | number, Json>)[k], document);
    if (at === null || typeof at !== 'object' || Array.isArray(at)) continue;
    out.push(
      edited({ root: document }, ['root', ...path], (parent, key) => {
        parent[key] = { ...(parent[key] as object), extra: 1 };
      }),
    );
    out.push(
      edited({ root: document }, ['root', ...path], (parent, key) => {
        parent[key] = JSON.parse(`{"__proto__": {"x": 1}, ${JSON.stringify(parent[key]).slice(1)}`.replace(', }', '}'));
      }),
    );
  }
  return out.map((d) =>
    d !== null && typeof d === 'object' && 'root' in d && Object.keys(d).length === 1 ? d.root : d,
  );
}

const modelJson = JSON.parse(readFileSync(join(DEFAULT_MODEL_DIR, 'model.json'), 'utf8')) as Record<string, Json>;

describe('acceptManifest (the fast path of manifestSchema)', () => {
  it('takes the committed model.json, with the value the schema gives', () => {
    expect(acceptManifest(modelJson)).toBeDefined();
    expect(differential(acceptManifest, manifestSchema, [modelJson])).toBe(1);
  });

  it('agrees with the schema on every field of it deleted, replaced or added to', () => {
    // backendConfig, metrics and provenance are records of anything (backendConfig has its own test below).
    const inputs = mutations({ ...modelJson, backendConfig: { experts: [] }, metrics: { f1: 0.9 }, provenance: {} });
    const taken = differential(acceptManifest, manifestSchema, inputs);
    // Deleting an optional field, or editing a loose or free field, leaves manifests the fast path still takes.
    expect(taken).toBeGreaterThan(50);
    expect(taken).toBeLessThan(inputs.length / 2);
  });

  it('takes a free-form field nested deeper than the call stack, as the schema does (it does not look inside)', () => {
    let deep: Json = 1;
    for (let i = 0; i < 20_000; i++) deep = { deep };
    const manifest = { ...modelJson, metrics: { deep } };
    expect(manifestSchema.safeParse(manifest).success).toBe(true);
    expect(acceptManifest(manifest)?.metrics?.deep).toBe(deep);
    const config = { ...(modelJson.backendConfig as object), notes: [deep] };
    expect(acceptLinearConfig(config)?.notes).toBe(config.notes);
  });

  it('takes a folder of the first layouts (no router, confidence or metrics; kinds)', () => {
    const { router: _r, confidence: _c, metrics: _m, ...old } = modelJson;
    const older = { ...old, kinds: { snippetMaxTokens: 12, names: ['real'] } };
    expect(differential(acceptManifest, manifestSchema, [old, older])).toBe(2);
  });
});

describe('acceptLinearConfig (the fast path of linearConfigSchema)', () => {
  const config = modelJson.backendConfig as Record<string, Json>;

  it("takes the committed model's backendConfig, with the value the schema gives", () => {
    expect(acceptLinearConfig(config)).toBeDefined();
    expect(differential(acceptLinearConfig, linearConfigSchema, [config])).toBe(1);
  });

  it('agrees with the schema on every field of it deleted, replaced or added to', () => {
    const inputs = mutations(config).filter((c) => c !== null && typeof c === 'object' && !Array.isArray(c));
    const taken = differential(acceptLinearConfig, linearConfigSchema, inputs);
    expect(taken).toBeGreaterThan(50);
    expect(taken).toBeLessThan(inputs.length / 2);
  });
});

describe('acceptPredictRequest (the fast path of predictRequestSchema)', () => {
  const limits: ApiLimits = { maxTexts: 8, maxTextChars: 200, maxBodyBytes: 1 << 20 };
  const schema = predictRequestSchema(limits);
  const fast = (body: unknown) => acceptPredictRequest(body, limits);
  const abstract = 'Atrial fibrillation after coronary artery bypass surgery in older adults.';
  const usual: Json[] = [
    { texts: [abstract] },
    { texts: [abstract, 'Hepatocellular carcinoma'], explain: false },
    { texts: [abstract], explain: true },
    { texts: [abstract], explain: true, explain_top: 100 },
    { items: [{ title: 'Stroke', abstract }] },
    { items: [{ title: 'Stroke' }, { abstract }], explain: true, explain_top: 3 },
    { items: [{ title: '', abstract: 'Glioma' }] },
  ];

  it('takes the usual requests, with the value the schema gives', () => {
    expect(differential(fast, schema, usual)).toBe(usual.length);
  });

  it('agrees with the schema on every field of them deleted, replaced or added to', () => {
    const inputs = usual.flatMap(mutations);
    expect(differential(fast, schema, inputs)).toBeGreaterThan(usual.length);
  });

  it('agrees with the schema on random requests', () => {
    const random = mulberry32(14);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
    const texts = [
      abstract,
      '',
      '   ',
      'x',
      'a'.repeat(200),
      'a'.repeat(201),
      '\uFDFA'.repeat(11),
      '\uFDFA'.repeat(12),
      'ﬁbrosis',
      ' padded ',
      7,
      null,
    ];
    const text = () => pick(texts);
    const item = () => {
      const out: Record<string, Json> = {};
      if (random() < 0.8) out.title = text();
      if (random() < 0.8) out.abstract = text();
      if (random() < 0.05) out.extra = 'x';
      return random() < 0.03 ? pick([null, [], 'x']) : out;
    };
    const list = (make: () => Json) => {
      const n = pick([0, 1, 1, 2, 3, limits.maxTexts, limits.maxTexts + 1]);
      return Array.from({ length: n }, make);
    };
    const inputs: Json[] = [];
    for (let i = 0; i < 4000; i++) {
      const body: Record<string, Json> = {};
      const form = random();
      if (form < 0.5 || form > 0.95) body.texts = random() < 0.03 ? pick(['x', null, {}]) : list(text);
      if (form >= 0.45) body.items = random() < 0.03 ? pick(['x', null, {}]) : list(item);
      if (random() < 0.5) body.explain = pick([true, true, false, 'true', 1, null]);
      if (random() < 0.4) body.explain_top = pick([1, 10, 100, 101, 0, -3, 2.5, '10', null, 200]);
      if (random() < 0.03) body.extra = 1;
      inputs.push(random() < 0.02 ? pick([null, [], 'texts', 3]) : body);
    }
    const taken = differential(fast, schema, inputs);
    expect(taken).toBeGreaterThan(200);
  });

  it('leaves the explained-terms bound to the schema', () => {
    const many = { maxTexts: 200, maxTextChars: 200, maxBodyBytes: 1 << 20 };
    const body = { texts: Array.from({ length: MAX_EXPLAINED_TERMS / 10 + 1 }, () => abstract), explain: true };
    expect(acceptPredictRequest(body, many)).toBeUndefined();
    expect(predictRequestSchema(many).safeParse(body).success).toBe(false);
    body.texts.pop();
    expect(differential((b: unknown) => acceptPredictRequest(b, many), predictRequestSchema(many), [body])).toBe(1);
  });
});
