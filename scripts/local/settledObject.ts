import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** An object as an upload event announces it (ETag quoted, as HEAD returns it). */
export interface AnnouncedUpload {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
}

/** What a HEAD says about the object now; undefined when there is none. */
export type HeadObject = (bucket: string, key: string) => Promise<{ size?: number; etag?: string } | undefined>;

export function headObjectWith(s3: S3Client): HeadObject {
  return async (bucket, key) => {
    try {
      const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        ...(out.ContentLength === undefined ? {} : { size: out.ContentLength }),
        ...(out.ETag ? { etag: out.ETag } : {}),
      };
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) return undefined;
      throw error;
    }
  };
}

/**
 * S3 announces an object once it is complete; s3rver fires its event once it has hashed the upload, which can be
 * before the bytes are all on disk. The local bridge therefore waits until a HEAD shows the announced size and ETag
 * before it delivers the event. The wait is bounded: after `attempts` HEADs (or when the object is gone) the event
 * is delivered anyway, and the evaluation's own check fails it as incomplete rather than evaluating part of a file.
 */
export async function untilComplete(
  head: HeadObject,
  upload: AnnouncedUpload,
  { attempts = 200, delayMs = 25 } = {},
): Promise<boolean> {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const found = await head(upload.bucket, upload.key);
    if (!found) return false;
    if (
      (upload.size === undefined || found.size === upload.size) &&
      (upload.etag === undefined || found.etag === upload.etag)
    )
      return true;
    if (attempt < attempts) await sleep(delayMs);
  }
  return false;
}
