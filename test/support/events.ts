import { readFileSync } from 'node:fs';
import { encodeEventKey } from '#adapters/evaluation/keys.ts';

/** Events built from the real event JSON in test/events/, with the bucket and key a test needs. */
const fixture = <T>(name: string): T =>
  JSON.parse(readFileSync(new URL(`../events/${name}`, import.meta.url), 'utf8')) as T;

type S3Event = {
  Records: { s3: { bucket: { name: string; arn: string }; object: { key: string; size?: number; eTag?: string } } }[];
};
type SqsEvent = { Records: { messageId: string; body: string }[] };

/**
 * An S3 ObjectCreated:Put notification for `key` (decoded; encoded here the way S3 encodes event keys). The
 * evaluation checks what it reads against the announced size and ETag, so the fixture's own are replaced by the
 * ones given, or left out (an event that announces nothing is not checked).
 */
export function s3ObjectCreated(bucket: string, key: string, size?: number, eTag?: string): S3Event {
  const event = fixture<S3Event>('s3/object-created-put.json');
  const record = event.Records[0]!;
  record.s3.bucket.name = bucket;
  record.s3.bucket.arn = `arn:aws:s3:::${bucket}`;
  record.s3.object.key = encodeEventKey(key);
  delete record.s3.object.size;
  delete record.s3.object.eTag;
  if (size !== undefined) record.s3.object.size = size;
  if (eTag !== undefined) record.s3.object.eTag = eTag;
  return event;
}

/** The same notification delivered through SQS, as one message of a batch. */
export function sqsBatchOf(notification: unknown, messageId = '19dd0b57-b21e-4ac1-bd88-01bbb068cb78'): SqsEvent {
  const event = fixture<SqsEvent>('sqs/s3-notifications.json');
  const record = event.Records[0]!;
  record.messageId = messageId;
  record.body = JSON.stringify(notification);
  return { Records: [record] };
}
