import { z } from 'zod';
import { DELIMITERS } from '#core/csv/csvReader.ts';
import { TEXT_KINDS, type TextKind } from '#core/kinds.ts';
import { LABELS } from '#core/labels.ts';
import { misclassifiedRowSchema } from '#core/pipeline/misclassified.ts';

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
 * The keys of the execution input every chunk invocation gets as its BatchInput: written once, used by the schema
 * below, the local runner (`chunkBatchInput`) and the CDK state machine (`chunkBatchInputPaths`).
 */
export const CHUNK_BATCH_KEYS = ['bucket', 'key', 'partsPrefix', 'columns', 'delimiter', 'etag'] as const;
type ChunkBatchKey = (typeof CHUNK_BATCH_KEYS)[number];

/** What the Distributed Map's ItemBatcher hands each chunk invocation. */
export const chunkEventSchema = z.object({
  Items: z.array(rangeItemSchema).min(1),
  BatchInput: fanoutInputSchema.pick(
    Object.fromEntries(CHUNK_BATCH_KEYS.map((k) => [k, true])) as { [K in ChunkBatchKey]: true },
  ),
});
export type ChunkEvent = z.infer<typeof chunkEventSchema>;

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
  metrics: z.unknown().optional(),
  metricsByKind: z.record(z.enum(TEXT_KINDS), z.unknown()).optional(),
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

/** The BatchInput of one chunk invocation, taken from the execution input (what ItemBatcher does on AWS). */
export function chunkBatchInput(input: FanoutInput): ChunkEvent['BatchInput'] {
  return Object.fromEntries(CHUNK_BATCH_KEYS.map((k) => [k, input[k]])) as ChunkEvent['BatchInput'];
}

/** The same selection as JSONPath parameters for the state machine's ItemBatcher (`{"bucket.$": "$.bucket", ...}`). */
export function chunkBatchInputPaths(): Record<`${ChunkBatchKey}.$`, string> {
  return Object.fromEntries(CHUNK_BATCH_KEYS.map((k) => [`${k}.$`, `$.${k}`])) as Record<`${ChunkBatchKey}.$`, string>;
}
