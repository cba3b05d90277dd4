import { type Classifier, classifierFor, modelOf } from '#core/classifier.ts';
import { LABELS } from '#core/labels.ts';
import { manifestSchema } from '#core/manifestSchema.ts';
import type { Backend } from '#core/model.ts';

/**
 * A deterministic stand-in model for pipeline tests: a label's probability is 0.9 when the text mentions
 * the label's keyword, else 0.1 (+ a small per-label offset so the fallback has a clear winner).
 */
const KEYWORDS = ['heart', 'kidney', 'brain', 'tumor'];

export function fakeClassifier(
  options: { rowsPerCall?: number; onCall?: (texts: readonly string[]) => void } = {},
): Classifier {
  const manifest = manifestSchema.parse({
    name: 'fake-keywords',
    version: '0.0.0',
    backend: 'linear',
    labels: [...LABELS],
    thresholds: { cardiovascular: 0.5, hepatorenal: 0.5, neurological: 0.5, oncological: 0.5 },
    text: { recipe: 'title + " " + abstract' },
  });
  const backend: Backend = {
    canExplain: false,
    ...(options.rowsPerCall ? { rowsPerCall: options.rowsPerCall } : {}),
    async score(texts) {
      options.onCall?.(texts);
      const proba = Float64Array.from(
        texts.flatMap((t) => KEYWORDS.map((k, i) => (t.toLowerCase().includes(k) ? 0.9 : 0.1 + i * 0.01))),
      );
      return { proba, logits: proba.map((p) => Math.log(p / (1 - p))) };
    },
    async dispose() {},
  };
  return classifierFor(modelOf(manifest, '(fake)', backend));
}
