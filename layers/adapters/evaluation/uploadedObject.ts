/**
 * What an S3 event says about the upload it announces (its size, and its ETag when the event carries one), and the
 * check of a read against it. S3 writes objects atomically, but S3-compatible servers may not (s3rver announces an
 * object before it is fully on disk), and a reader may be handed fewer bytes than the object holds: evaluating
 * such a read would give results for part of a file, or a bogus error.json. A read that does not match is a
 * transient failure, thrown so that the platform retries the event.
 */
export interface AnnouncedObject {
  size?: number;
  /** Quoted, as S3 returns ETags in GET/HEAD responses. */
  etag?: string;
}

/** S3 events carry the ETag without quotes, s3rver's with them; responses always quote it. */
export const quotedEtag = (etag: string): string => `"${etag.replace(/^"|"$/g, '')}"`;

/** The object read is not (yet) the one the event announced: retry later. */
export class IncompleteObjectError extends Error {
  constructor(bucket: string, key: string, announced: number, found: number, what: string) {
    super(
      `s3://${bucket}/${key}: the event announced ${announced} bytes, ${what} ${found}; the object is incomplete or still being written, so it is not evaluated now (the event is retried)`,
    );
    this.name = 'IncompleteObjectError';
  }
}

interface ReadObject {
  body: AsyncIterable<Uint8Array>;
  etag: string | undefined;
  size?: number | undefined;
}

async function* counted(
  body: AsyncIterable<Uint8Array>,
  announced: number,
  fail: (found: number) => Error,
): AsyncGenerator<Uint8Array> {
  let read = 0;
  for await (const chunk of body) {
    read += chunk.byteLength;
    if (read > announced) throw fail(read);
    yield chunk;
  }
  if (read !== announced) throw fail(read);
}

/**
 * The body of a whole-object GET, checked against the announced size: a different Content-Length fails at once, a
 * body that ends short fails when its end is reached (before the parser sees the end). A read of another version
 * (another ETag) is passed through unchanged: the caller treats it as superseded by a newer upload.
 */
export function checkedBody(
  bucket: string,
  key: string,
  object: ReadObject,
  announced: AnnouncedObject,
): AsyncIterable<Uint8Array> {
  const { size } = announced;
  if (size === undefined) return object.body;
  if (announced.etag !== undefined && object.etag !== undefined && object.etag !== announced.etag) return object.body;
  if (object.size !== undefined && object.size !== size) {
    (object.body as { destroy?: () => void }).destroy?.();
    throw new IncompleteObjectError(bucket, key, size, object.size, 'the GET returned');
  }
  return counted(object.body, size, (found) => new IncompleteObjectError(bucket, key, size, found, 'the body held'));
}
