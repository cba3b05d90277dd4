import type { TextExplanation } from '#core/explanation.ts';
import { LABELS } from '#core/labels.ts';
import type { Model } from '#core/model.ts';

/** A model's probabilities as one row per text (the shape tests compare), from its one scoring call. */
export async function probaRows(model: Model, texts: readonly string[]): Promise<Float64Array[]> {
  const { proba } = await model.score(texts);
  return texts.map((_, i) => proba.slice(i * LABELS.length, (i + 1) * LABELS.length));
}

/** A model's evidence per text, from its one scoring call with `explain`. */
export async function explanationsOf(model: Model, texts: readonly string[]): Promise<TextExplanation[]> {
  return (await model.score(texts, { explain: true })).explanations!;
}
