import type { Confidence } from '#core/confidence.ts';
import type { Prediction } from './api.ts';

/**
 * The confidence of an answer, in words (never colour alone). Built against the API's coming `confidence` field
 * (DESIGN.md: `high`, `low` when e.g. only the fallback rule chose the label, `out_of_scope` when the text holds
 * no medical evidence for any label): shown only when the answer carries it. `kind: snippet` gets its own note.
 */
export const confidenceText = (c: Confidence): string =>
  c === 'high' ? 'High confidence' : c === 'low' ? 'Low confidence' : 'Out of scope';

export interface ConfidenceView {
  /** The words shown beside the labels (data-testid="confidence"); absent without a `confidence` field. */
  text?: string;
  /** A sentence that explains it; empty for high confidence. */
  detail: string;
  /** Chips are drawn outlined and grey-toned: the labels are a guess. */
  uncertain: boolean;
  /** "Short text: less reliable" for a snippet (a title or a sentence). */
  note?: string;
}

export function confidenceView(prediction: Pick<Prediction, 'confidence' | 'kind'>): ConfidenceView {
  const note = prediction.kind === 'snippet' ? 'Short text: less reliable' : undefined;
  const c = prediction.confidence;
  const base = note ? { note } : {};
  if (c === undefined) return { ...base, detail: '', uncertain: false };
  const detail =
    c === 'high'
      ? ''
      : c === 'low'
        ? 'Uncertain: no label is clearly supported; the label shown is the most probable one.'
        : 'No medical evidence found: this text does not look like a cardiovascular, hepatorenal, neurological or oncological abstract.';
  return { ...base, text: confidenceText(c), detail, uncertain: c !== 'high' };
}
