import { S3Schema, SqsRecordSchema } from '@aws-lambda-powertools/parser/schemas';
import { z } from 'zod';
import { decodeEventKey } from './keys.ts';
import { type AnnouncedObject, quotedEtag } from './uploadedObject.ts';

/**
 * The evaluate function is triggered by S3 ObjectCreated notifications, delivered directly (S3 → Lambda) or
 * through SQS (S3 → SQS → Lambda, each message body an S3 event). Both are validated with Powertools' schemas.
 */
export interface ObjectRef extends AnnouncedObject {
  bucket: string;
  key: string;
  /** Identifies this upload of the key: S3's versionId when the bucket is versioned, else the event's sequencer. */
  version?: string;
}

export type EvaluateEvent =
  | { kind: 's3'; objects: ObjectRef[] }
  | { kind: 'sqs'; messages: { messageId: string; objects: ObjectRef[] | undefined; problem?: string }[] };

const sqsEventSchema = z.object({ Records: z.array(SqsRecordSchema).min(1) });
const testEventSchema = z.object({ Event: z.literal('s3:TestEvent') }).passthrough();

function objectsOf(event: z.infer<typeof S3Schema>): ObjectRef[] {
  return event.Records.filter((r) => r.eventName.startsWith('ObjectCreated:')).map((r) => {
    const { versionId, sequencer, size, eTag } = r.s3.object;
    const version = versionId ?? sequencer;
    return {
      bucket: r.s3.bucket.name,
      key: decodeEventKey(r.s3.object.key),
      ...(version ? { version } : {}),
      ...(size === undefined ? {} : { size }),
      ...(eTag ? { etag: quotedEtag(eTag) } : {}),
    };
  });
}

export function parseEvaluateEvent(event: unknown): EvaluateEvent {
  const sqs = sqsEventSchema.safeParse(event);
  if (sqs.success) {
    return {
      kind: 'sqs',
      messages: sqs.data.Records.map((record) => {
        let body: unknown;
        try {
          body = JSON.parse(record.body);
        } catch {
          return { messageId: record.messageId, objects: undefined, problem: 'message body is not JSON' };
        }
        // S3 sends a test message when the notification is configured: nothing to do.
        if (testEventSchema.safeParse(body).success) return { messageId: record.messageId, objects: [] };
        const s3 = S3Schema.safeParse(body);
        if (!s3.success)
          return {
            messageId: record.messageId,
            objects: undefined,
            problem: `message body is not an S3 event: ${s3.error.issues[0]?.message}`,
          };
        return { messageId: record.messageId, objects: objectsOf(s3.data) };
      }),
    };
  }
  const s3 = S3Schema.safeParse(event);
  if (s3.success) return { kind: 's3', objects: objectsOf(s3.data) };
  throw new TypeError(
    `unsupported event: neither an S3 notification nor an SQS batch (${s3.error.issues[0]?.message ?? 'no details'})`,
  );
}
