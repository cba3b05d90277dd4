import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelLoadError } from '#core/errors.ts';
import { LABELS } from '#core/labels.ts';
import type { ModelManifest } from '#core/manifest.ts';
import type { Backend, BackendLoader, Scores } from '#core/model.ts';
import { onceUntilFailure } from '#core/once.ts';
import { IDENTITY_PLATT, sigmoid } from './calibrator.ts';
import { Expert } from './expert.ts';
import { Lexicon } from './lexicon.ts';
import { acceptLinearConfig } from './linearConfigFast.ts';
import type { ExpertConfig, LexiconEntry } from './linearConfigSchema.ts';
import { TEXT_KINDS, type TextKind } from './router.ts';
import { type Answerer, answerAll, type ScopeRule } from './scope.ts';
import { Vectorizer } from './vectorizer.ts';
import { decodeWeights } from './weightsFile.ts';

/**
 * The `linear` backend (the embedded default model): one expert per kind of text, each hashed n-grams → vocabulary →
 * weighting → linear estimator → Platt calibration. `backendConfig` lists the experts; each expert's weights file is
 * stored in its in-memory layout (layers/model/weightsFile.ts), so loading is a read, a checksum and a few views.
 */

/** The model folder's lexicon file (layers/model/lexicon.ts), shared by the experts whose features use it. */
export const LEXICON_FILE = 'lexicon.json';

export type { ExpertConfig, LinearConfig } from './linearConfigSchema.ts';

/** How much of a model file is read at a time: each piece is hashed while the next one is read. */
const READ_PIECE = 1 << 19;

/**
 * Reads a file of the model folder into memory it owns (no zero-fill, 16-byte aligned) and checks it against the
 * sha256 model.json records. The file is read in pieces on libuv's thread pool and each piece hashed on the main
 * thread while the next is read, so a cold start pays little more than the read (where most of the time is the
 * kernel handing out fresh pages) instead of the read and then the hash; meanwhile the main thread also builds the
 * lexicon. (WebCrypto's asynchronous digest was tried: it copies its input on the main thread and took longer.)
 */
async function readChecked(path: string, sha256: string, what: string): Promise<Buffer> {
  const hash = createHash('sha256');
  let bytes: Buffer;
  try {
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      bytes = Buffer.allocUnsafeSlow(size);
      let done = 0;
      let reading = size > 0 ? handle.read(bytes, 0, Math.min(READ_PIECE, size), 0) : undefined;
      while (reading) {
        const { bytesRead } = await reading;
        const from = done;
        done += bytesRead;
        reading =
          bytesRead > 0 && done < size ? handle.read(bytes, done, Math.min(READ_PIECE, size - done), done) : undefined;
        hash.update(bytes.subarray(from, done));
      }
      if (done < size) bytes = bytes.subarray(0, done);
    } finally {
      await handle.close();
    }
  } catch (cause) {
    throw new ModelLoadError(`cannot read the ${what} ${path}`, { cause });
  }
  if (hash.digest('hex') !== sha256)
    throw new ModelLoadError(`${path} does not match the sha256 in model.json (corrupt or replaced file)`);
  return bytes;
}

/** The lexicon's matcher: read from its stored index, or (folders written before the index) built from its terms. */
async function loadLexicon(dir: string, entry: LexiconEntry): Promise<Lexicon> {
  if (entry.index) {
    const path = join(dir, entry.index.file);
    return Lexicon.fromIndex(await readChecked(path, entry.index.sha256, 'lexicon index'), path);
  }
  const path = join(dir, entry.file);
  const bytes = await readChecked(path, entry.sha256, 'lexicon');
  return Lexicon.fromFile((await import('./linearConfigSchema.ts')).parseLexiconFile(bytes.toString('utf8'), path));
}

async function loadExpert(
  dir: string,
  config: ExpertConfig,
  kinds: readonly TextKind[],
  lexiconReady: () => Promise<Lexicon | undefined>,
): Promise<Expert> {
  const path = join(dir, config.weightsFile);
  const [bytes, lexicon] = await Promise.all([readChecked(path, config.weightsSha256, 'weights'), lexiconReady()]);
  const settings = config.features;
  if (settings.lexicon && (!lexicon || !config.lexiconWeights))
    throw new ModelLoadError(
      `${path}: the expert uses the lexicon, but model.json has no lexicon or no lexiconWeights`,
    );
  const { index, idf, weights } = decodeWeights(bytes, {
    name: path,
    features: config.buckets,
    hashBits: settings.hashBits,
    layout: config.weightsLayout ?? 1,
    idf: settings.weighting !== 'binary',
  });
  const calibration = config.calibration ?? {
    a: LABELS.map(() => IDENTITY_PLATT.a),
    b: LABELS.map(() => IDENTITY_PLATT.b),
  };
  return new Expert(
    kinds,
    new Vectorizer(settings, index, idf, lexicon),
    // One shape for every expert's estimator (`dense` present, undefined without the lexicon): scoring's code then
    // sees one hidden class, whichever expert it runs for.
    {
      weights,
      bias: Float64Array.from(config.bias),
      dense: settings.lexicon ? Float64Array.from(config.lexiconWeights!) : undefined,
    },
    { a: Float64Array.from(calibration.a), b: Float64Array.from(calibration.b) },
  );
}

/** What the backend is built from: the experts with their kinds, the lexicon, the scope rule. */
interface LinearSetup {
  experts: { config: ExpertConfig; kinds: TextKind[] }[];
  lexicon?: LexiconEntry;
  scope?: ScopeRule;
}

/**
 * The experts a `backendConfig` describes: one per kind, or (the first single-model layout) one for every kind. A
 * well-formed configuration is taken as it is (linearConfigFast.ts); only another loads zod, which then decides.
 */
async function setupOf(raw: Record<string, unknown>, where: string): Promise<LinearSetup> {
  const config = acceptLinearConfig(raw) ?? (await import('./linearConfigSchema.ts')).parseLinearConfig(raw, where);
  return {
    experts: config.experts.map((e) => ({ config: e, kinds: [...e.kinds] })),
    ...(config.lexicon ? { lexicon: config.lexicon } : {}),
    ...(config.scope ? { scope: config.scope } : {}),
  };
}

/**
 * Texts per call for a CSV file: a batch is scored kind after kind, and each run of one kind keeps its expert's tables
 * warm, while parsing between calls evicts them. 2,048 rows per call evaluate a CSV 12 % faster than 256 (interleaved
 * runs in one process; 1,024: 7 %, 4,096: 9 %) and still report progress every ~0.2 s.
 */
const ROWS_PER_CALL = 2048;

/** The indices of `kinds`, kind after kind (in `TEXT_KINDS` order), each kind's in their own order. */
function byKind(kinds: readonly TextKind[]): number[] {
  if (kinds.every((k) => k === kinds[0])) return kinds.map((_, i) => i);
  return TEXT_KINDS.flatMap((kind) => kinds.flatMap((k, i) => (k === kind ? [i] : [])));
}

/**
 * The linear backend. Each expert's weights are read and checked (sha256) the first time a text of its kind comes:
 * a cold start pays for the expert its first request needs (a one-liner reads the snippet expert's 3.4 MB, not all
 * 5.8 MB), and a damaged file fails the first request that needs it, with `ModelLoadError`, never a wrong answer.
 * The lexicon, which every expert counts matches with, starts loading with the backend, and an expert's weights are
 * read while it is built. A failed read (lexicon or weights) is tried again by the next request, not remembered.
 */
export const loadLinearModel: BackendLoader = async (dir, manifest: ModelManifest): Promise<Backend> => {
  const config = await setupOf(manifest.backendConfig, join(dir, 'model.json'));
  const lexiconEntry = config.lexicon;
  const lexiconReady = onceUntilFailure(() =>
    lexiconEntry ? loadLexicon(dir, lexiconEntry) : Promise.resolve(undefined),
  );
  void lexiconReady(); // started now; a failure reaches the first request that needs the lexicon
  const loaded = new Map<TextKind, Expert>();
  const expertReady = config.experts.map(({ config: expertConfig, kinds }) =>
    onceUntilFailure(async () => {
      const expert = await loadExpert(dir, expertConfig, kinds, lexiconReady);
      for (const k of kinds) loaded.set(k, expert);
      return expert;
    }),
  );
  const ready = (kind: TextKind): Promise<Expert> =>
    expertReady[config.experts.findIndex((e) => e.kinds.includes(kind))]!();
  const scope = config.scope;
  const L = LABELS.length;
  const answerer: Answerer = { expertOf: (kind) => loaded.get(kind)!, ...(scope ? { scope } : {}) };
  return {
    canExplain: true,
    rowsPerCall: ROWS_PER_CALL,
    async score(texts, kinds, explain) {
      // After the first requests every expert is loaded: then nothing to wait for (a microtask turn saved a call) and
      // nothing allocated to find that out (a call of one text is the API's usual one).
      let missing = scope !== undefined && !loaded.has(scope.honest) && kinds.some((k) => scope.kinds.includes(k));
      for (let i = 0; i < kinds.length && !missing; i++) missing = !loaded.has(kinds[i]!);
      if (missing) {
        const needed = new Set(kinds);
        if (scope && kinds.some((k) => scope.kinds.includes(k))) needed.add(scope.honest);
        await Promise.all([...needed].map(ready));
      }
      // Then synchronous and allocation-light. A batch is scored kind after kind (each text's answer lands at its own
      // index, and no text's answer depends on another's), so one expert's vocabulary, weights and chunk cache stay
      // in the processor's caches for its run instead of taking turns with another expert's.
      const logits = new Float64Array(texts.length * L);
      const matches = lexiconEntry ? new Float64Array(texts.length * L) : undefined;
      const answeredBy: TextKind[] = new Array(texts.length);
      answerAll(answerer, texts, kinds, byKind(kinds), logits, matches, answeredBy);
      // Evidence for the very logits given: the answering expert's (it computes the same logits again).
      const explanations = explain
        ? texts.map((text, i) => loaded.get(answeredBy[i]!)!.explain(text, logits, i * L, matches))
        : undefined;
      // A loop, not `logits.map(sigmoid)` (the built-in calls back through a slow path: 16 % of a one-word call).
      const proba = new Float64Array(logits.length);
      for (let i = 0; i < logits.length; i++) proba[i] = sigmoid(logits[i]!);
      const scores: Omit<Scores, 'kinds'> = { logits, proba };
      if (explanations) scores.explanations = explanations;
      if (matches) scores.matches = matches;
      return scores;
    },
    async dispose() {},
  };
};
