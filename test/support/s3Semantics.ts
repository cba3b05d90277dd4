/**
 * An S3 client for tests that answers the way Amazon S3 documents, where the local server (s3rver) is kinder:
 *
 * - **Missing keys without list permission**: S3 answers GetObject/HeadObject of a missing key with 403
 *   AccessDenied unless the caller may list the bucket (s3rver: always 404). Whether a prefix-scoped
 *   `s3:ListBucket` grant is enough for the 404 is not documented, so the stricter reading is emulated: 404 only
 *   with an unscoped grant (`listPrefixes` containing `''`). A listing whose prefix the caller may not list is 403.
 * - **`If-Match`**: a GET whose `If-Match` names another ETag than the object's gets 412 PreconditionFailed
 *   (s3rver ignores the header and returns the current object).
 * - **Key length**: a write to a key longer than 1,024 UTF-8 bytes gets 400 KeyTooLongError (s3rver stores it).
 *
 * The third documented difference, notification suffix filters matching case-sensitively, is not a client
 * matter: the local stack applies the deployed filters (UPLOAD_FILTERS) to s3rver's events.
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { MAX_KEY_BYTES } from '#adapters/evaluation/keys.ts';

export interface S3SemanticsOptions {
  endpoint: string;
  /** The `s3:prefix` values the caller's `s3:ListBucket` grant allows, as IAM `StringLike` prefixes without the `*`. */
  listPrefixes: readonly string[];
}

const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const WRITES = new Set(['PutObjectCommand', 'CreateMultipartUploadCommand', 'CopyObjectCommand']);

function s3Error(name: string, status: number, message: string): S3ServiceException {
  return new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message });
}

/** A client of the local server at `endpoint` that behaves like S3 for a caller with the given list grant. */
export function s3WithAwsSemantics(options: S3SemanticsOptions): S3Client {
  const client = new S3Client({
    endpoint: options.endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
  const mayList = (prefix: string): boolean => options.listPrefixes.some((allowed) => prefix.startsWith(allowed));
  const mayListBucket = options.listPrefixes.includes('');
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string; Prefix?: string; IfMatch?: string };
      const command = context.commandName;
      if (WRITES.has(command ?? '') && input.Key !== undefined && Buffer.byteLength(input.Key) > MAX_KEY_BYTES) {
        throw s3Error('KeyTooLongError', 400, 'Your key is too long');
      }
      if (command === 'ListObjectsV2Command' && !mayList(input.Prefix ?? ''))
        throw s3Error('AccessDenied', 403, 'Access Denied');
      const result = await next(args).catch((error: unknown) => {
        const name = (error as { name?: string }).name;
        const missing = name === 'NoSuchKey' || name === 'NotFound';
        if (missing && !mayListBucket)
          throw s3Error(command === 'HeadObjectCommand' ? 'Forbidden' : 'AccessDenied', 403, 'Access Denied');
        throw error;
      });
      if (command === 'GetObjectCommand' && input.IfMatch !== undefined) {
        const output = result.output as { ETag?: string; Body?: { destroy?: () => void } };
        if (output.ETag !== input.IfMatch) {
          output.Body?.destroy?.();
          throw s3Error('PreconditionFailed', 412, 'At least one of the pre-conditions you specified did not hold');
        }
      }
      return result;
    },
    { step: 'initialize', name: 's3DocumentedSemantics' },
  );
  return client;
}

/** For `startTestStack({ evaluateS3Client })`: the handlers' client, S3-like, with these list grants. */
export const awsLikeS3 =
  (listPrefixes: readonly string[]) =>
  (endpoint: string): S3Client =>
    s3WithAwsSemantics({ endpoint, listPrefixes });
