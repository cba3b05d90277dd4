import { z } from 'zod';
import { TEXT_KINDS, type TextKind } from '#model/router.ts';
import type { Classifier } from '../classifier.ts';
import { type RowLabelEvidence, rowEvidence } from '../explanation.ts';
import { LABELS } from '../labels.ts';

/**
 * "Errors to look at": the misclassified rows of a labelled file, worst first, with the evidence behind their
 * labels. Worst = the largest probability error on any one label, `max_l |truth_l − proba_l|` (a confident
 * wrong label or a confidently missed one comes first); ties go to the earlier line. That order is total, so
 * keeping the top rows per chunk and merging chunks (fan-out) gives exactly the rows an inline run keeps.
 */

export const MAX_MISCLASSIFIED = 50;

const termSchema = z.object({
  text: z.string(),
  weight: z.number(),
  spans: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export const misclassifiedRowSchema = z.object({
  line: z.number().int().positive(),
  title: z.string(),
  abstract: z.string(),
  /** The model's input, `title + " " + abstract` trimmed: the text spans point into. */
  text: z.string(),
  truth: z.array(z.number().int()),
  predicted: z.array(z.number().int()),
  proba: z.array(z.number()).length(LABELS.length),
  error: z.number(),
  /** The kind the router gave the row when it was classified (explaining it later does not route it again). */
  kind: z.enum(TEXT_KINDS),
  /** Per label that is true or predicted (ascending); absent when the backend cannot explain. */
  evidence: z.array(z.object({ label: z.number().int(), terms: z.array(termSchema) })).optional(),
});
export type MisclassifiedRow = z.infer<typeof misclassifiedRowSchema> & { evidence?: RowLabelEvidence[] };

export function probabilityError(truth: readonly number[], proba: readonly number[]): number {
  let worst = 0;
  for (let l = 0; l < proba.length; l++) worst = Math.max(worst, Math.abs((truth.includes(l) ? 1 : 0) - proba[l]!));
  return worst;
}

export const worstFirst = (
  a: Pick<MisclassifiedRow, 'error' | 'line'>,
  b: Pick<MisclassifiedRow, 'error' | 'line'>,
): number => b.error - a.error || a.line - b.line;

const sameSet = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** The `limit` worst of `rows` (any order in, worst first out). */
export function keepWorst<T extends Pick<MisclassifiedRow, 'error' | 'line'>>(
  rows: readonly T[],
  limit = MAX_MISCLASSIFIED,
): T[] {
  return [...rows].sort(worstFirst).slice(0, limit);
}

/** Collects candidates while a file streams by; memory stays O(limit) whatever the file's size. */
export class MisclassifiedCollector {
  private rows: Omit<MisclassifiedRow, 'evidence'>[] = [];
  constructor(private readonly limit = MAX_MISCLASSIFIED) {}

  offer(row: {
    line: number;
    title: string;
    abstract: string;
    text: string;
    truth: readonly number[];
    predicted: readonly number[];
    proba: readonly number[];
    kind: TextKind;
  }): void {
    if (sameSet(row.truth, row.predicted)) return;
    this.rows.push({
      ...row,
      truth: [...row.truth],
      predicted: [...row.predicted],
      proba: [...row.proba],
      error: probabilityError(row.truth, row.proba),
    });
    if (this.rows.length >= 2 * this.limit) this.rows = keepWorst(this.rows, this.limit);
  }

  /** The worst rows, each with the evidence for its true and predicted labels when the model can explain. */
  async finish(classifier: Classifier, top: number): Promise<MisclassifiedRow[]> {
    const rows = keepWorst(this.rows, this.limit);
    if (!classifier.canExplain || rows.length === 0) return rows;
    const explained = await classifier.classify(
      rows.map((r) => r.text),
      { explain: true, kinds: rows.map((r) => r.kind) },
    );
    return rows.map((row, i) => {
      const labels = LABELS.map((_, l) => l).filter((l) => row.truth.includes(l) || row.predicted.includes(l));
      return { ...row, evidence: rowEvidence(explained[i]!.explanation!, labels, top) };
    });
  }
}
