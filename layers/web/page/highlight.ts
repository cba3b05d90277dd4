import type { ShortName } from '#core/labels.ts';
import type { LabelEvidence } from './api.ts';

/** A piece of the displayed text: plain, or a word that carries evidence for one or more labels. */
export interface Segment {
  text: string;
  /** Signed contribution of this word to each label's logit (only labels whose terms include it). */
  weights: Partial<Record<ShortName, number>>;
}

/**
 * Cuts `text[from, to)` into plain runs and evidence words. Spans index into the text the API read (the same
 * string as `prediction.input`); overlapping spans after the first are ignored rather than drawn twice.
 */
export function segments(
  text: string,
  explanation: Partial<Record<ShortName, LabelEvidence>>,
  from = 0,
  to = text.length,
): Segment[] {
  const bySpan = new Map<string, { start: number; end: number; weights: Partial<Record<ShortName, number>> }>();
  for (const [label, evidence] of Object.entries(explanation) as [ShortName, LabelEvidence][]) {
    for (const term of evidence.terms) {
      for (const [start, end] of term.spans) {
        const s = Math.max(start, from);
        const e = Math.min(end, to);
        if (e <= s) continue;
        const key = `${s}:${e}`;
        const entry = bySpan.get(key) ?? { start: s, end: e, weights: {} };
        entry.weights[label] = term.weight;
        bySpan.set(key, entry);
      }
    }
  }
  const marks = [...bySpan.values()].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Segment[] = [];
  let at = from;
  for (const mark of marks) {
    if (mark.start < at) continue;
    if (mark.start > at) out.push({ text: text.slice(at, mark.start), weights: {} });
    out.push({ text: text.slice(mark.start, mark.end), weights: mark.weights });
    at = mark.end;
  }
  if (at < to) out.push({ text: text.slice(at, to), weights: {} });
  return out;
}

/**
 * Where the title and the abstract sit inside the text the model read, `(title + " " + abstract).trim()`:
 * the page shows them apart but highlights with offsets into that one string.
 */
export function titleAndAbstractRanges(
  title: string,
  abstract: string,
): { title: [number, number]; abstract: [number, number] } {
  const joined = `${title} ${abstract}`;
  const lead = joined.length - joined.trimStart().length;
  const total = joined.trim().length;
  const clamp = (n: number) => Math.min(Math.max(n - lead, 0), total);
  return { title: [clamp(0), clamp(title.length)], abstract: [clamp(title.length + 1), total] };
}

/** The label a word is drawn in among `shown`: the one it pushes hardest, by absolute weight. */
export function dominantLabel(
  weights: Partial<Record<ShortName, number>>,
  shown: readonly ShortName[],
): ShortName | undefined {
  let best: ShortName | undefined;
  for (const label of shown) {
    const w = weights[label];
    if (w === undefined) continue;
    if (best === undefined || Math.abs(w) > Math.abs(weights[best]!)) best = label;
  }
  return best;
}
