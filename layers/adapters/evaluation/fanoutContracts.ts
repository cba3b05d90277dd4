import { z } from 'zod';
import { CONFIDENCE_LEVELS } from '#core/confidence.ts';
import { DELIMITERS } from '#core/csv/csvReader.ts';
import { LABELS } from '#core/labels.ts';
import { misclassifiedRowSchema } from '#core/pipeline/misclassified.ts';
import { TEXT_KINDS, type TextKind } from '#model/router.ts';

/**
 * Fan-out of large CSVs on Step Functions' Distributed Map. The evaluate function scans the file once and
 * writes a range list of rows (byte offsets, so an item is ~100 bytes whatever the abstracts' size and the
 * 256 KB payload limit is never near); each chunk invocation reads its byte ranges from S3 itself, predicts,
 * and writes prediction rows plus an exact metrics state; the aggregate step concatenates the parts in order
 * and merges the states. Rows, formatting and metrics go through the same code as the inline path, so the
 * outputs are byte-identical.
 */

export const rangeItemSchema = z.object({
  index: z.number().int().nonnegative(),
  /** Byte range [start, end) of the item's records in the incoming object. */
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
  firstLine: z.number().int().positive(),
  firstRow: z.number().int().nonnegative(),
  rows: z.number().int().positive(),
});
export type RangeItem = z.infer<typeof rangeItemSchema>;

const headerSchema = z.object({
  columns: z.array(z.string()).min(2),
  delimiter: z.enum(DELIMITERS),
});

export const fanoutInputSchema = z.object({
  bucket: z.string().min(1),
  key: z.string().min(1),
  rangesKey: z.string().min(1),
  partsPrefix: z.string().min(1),
  resultPrefix: z.string().min(1),
  columns: headerSchema.shape.columns,
  delimiter: headerSchema.shape.delimiter,
  /** ETag of the object version the range list was planned on; chunks read only that version. */
  etag: z.string().min(1),
  rows: z.number().int().nonnegative(),
  items: z.number().int().nonnegative(),
  /** Whitespace-only lines of the whole file, counted by the planning scan (chunks see only their ranges). */
  blankLines: z.number().int().nonnegative().optional(),
});
export type FanoutInput = z.infer<typeof fanoutInputSchema>;

/**
 * The keys of the execution input every chunk needs besides its byte ranges (the same for every item of a run):
 * written once, used by the schemas below and by the planner that writes the range list.
 */
export const CHUNK_BATCH_KEYS = ['bucket', 'key', 'partsPrefix', 'columns', 'delimiter', 'etag'] as const;
type ChunkBatchKey = (typeof CHUNK_BATCH_KEYS)[number];
const chunkContextSchema = fanoutInputSchema.pick(
  Object.fromEntries(CHUNK_BATCH_KEYS.map((k) => [k, true])) as { [K in ChunkBatchKey]: true },
);

/**
 * One element of the range list the planner writes: a byte range and its run. Each item carries its run so that
 * the chunk invocation receives everything as plain data: the Distributed Map reads the array's elements as items
 * (ItemReader, InputType JSON) and hands each child `{"Items": [...]}` (ItemBatcher), with no path substitution to
 * rely on (the state machine sets no BatchInput).
 */
export const runItemSchema = rangeItemSchema.extend({ run: chunkContextSchema });
export type RunItem = z.infer<typeof runItemSchema>;

/** What the Distributed Map's ItemBatcher hands each chunk invocation: a batch of range-list items. */
export const chunkBatchSchema = z.object({ Items: z.array(runItemSchema).min(1) });
export type ChunkBatch = z.infer<typeof chunkBatchSchema>;

export const chunkBatchOf = (items: RunItem[]): ChunkBatch => ({ Items: items });

/**
 * A chunk invocation's batch as the chunk processor reads it: the byte ranges, and the run they all belong to
 * (a batch that mixes runs is refused: its parts would land in one run's folder from another's file).
 */
export const chunkEventSchema = chunkBatchSchema.transform((batch, ctx) => {
  const run = batch.Items[0]!.run;
  const same = JSON.stringify(run);
  if (batch.Items.some((item) => JSON.stringify(item.run) !== same))
    ctx.addIssue({ code: 'custom', message: 'the items of one batch belong to different runs', path: ['Items'] });
  return { Items: batch.Items.map(({ run: _, ...range }) => range), BatchInput: run };
});
export type ChunkEvent = z.output<typeof chunkEventSchema>;

export const aggregateEventSchema = fanoutInputSchema.pick({
  bucket: true,
  key: true,
  rangesKey: true,
  partsPrefix: true,
  resultPrefix: true,
  columns: true,
  blankLines: true,
});
export type AggregateEvent = z.infer<typeof aggregateEventSchema>;

export const partStateSchema = z.object({
  index: z.number().int(),
  rows: z.number().int(),
  predictedCounts: z.array(z.number().int()).length(LABELS.length),
  kindCounts: z.record(z.enum(TEXT_KINDS), z.number().int().nonnegative()).optional(),
  confidenceCounts: z.record(z.enum(CONFIDENCE_LEVELS), z.number().int().nonnegative()).optional(),
  outOfScope: z
    .array(
      z.object({
        line: z.number().int().positive(),
        title: z.string(),
        label: z.number().int().min(0),
        proba: z.number(),
      }),
    )
    .optional(),
  metrics: z.unknown().optional(),
  metricsByKind: z.record(z.enum(TEXT_KINDS), z.unknown()).optional(),
  /** `[trueMask, predictedMask, rows]` (layers/core/labelSets.ts): summed exactly by the aggregate. */
  labelSets: z.array(z.tuple([z.number().int(), z.number().int(), z.number().int().nonnegative()])).optional(),
  /** The part's rows and how many are training rows of the model (layers/core/inSample.ts): summed by the aggregate. */
  overlap: z.object({ rows: z.number().int().nonnegative(), matched: z.number().int().nonnegative() }).optional(),
  problems: z
    .array(
      z.object({
        line: z.number().optional(),
        column: z.union([z.number(), z.string()]).optional(),
        field: z.string().optional(),
        message: z.string(),
      }),
    )
    .optional(),
  problemCount: z.number().int().optional(),
  /** Whether the part's rows carry the `evidence` column (the aggregate writes the matching header). */
  evidenceColumn: z.boolean().optional(),
  /** The chunk wrote formula-like input cells as read (CSV_FORMULAS=keep); the header must be written alike. */
  formulasKept: z.boolean().optional(),
  /** The part's worst misclassified rows; the aggregate keeps the worst of all parts (the same as inline). */
  misclassified: z.array(misclassifiedRowSchema).optional(),
});
export type PartState = z.infer<typeof partStateSchema>;

export const mapKinds = <A, B>(byKind: Record<TextKind, A>, f: (a: A) => B): Record<TextKind, B> =>
  Object.fromEntries(TEXT_KINDS.map((k) => [k, f(byKind[k])])) as Record<TextKind, B>;

/** The object was replaced after the fan-out was planned: its byte ranges no longer describe it. */
export class ObjectChangedError extends Error {
  constructor(bucket: string, key: string, planned: string, found: string | undefined) {
    super(
      `s3://${bucket}/${key} changed since the fan-out was planned (ETag ${planned}, now ${found ?? 'another'}); the new upload is evaluated by its own run`,
    );
    this.name = 'ObjectChangedError';
  }
}

export const partName = (index: number, ext: string): string => `part-${String(index).padStart(6, '0')}.${ext}`;

/** The run every item of a range list carries, taken from the execution input. */
export function chunkBatchInput(input: FanoutInput): ChunkEvent['BatchInput'] {
  return Object.fromEntries(CHUNK_BATCH_KEYS.map((k) => [k, input[k]])) as ChunkEvent['BatchInput'];
}
