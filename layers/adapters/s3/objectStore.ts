import { PassThrough } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { TextSink } from '#core/pipeline/evaluateCsv.ts';

/** The S3 operations the evaluation needs, over an injected client (real S3, or a local S3-compatible server). */
export class ObjectNotFound extends Error {
  constructor(bucket: string, key: string, options?: { cause?: unknown }) {
    super(`s3://${bucket}/${key} does not exist (deleted before it could be evaluated?)`, options);
    this.name = 'ObjectNotFound';
  }
}

/** A read sent with `If-Match` found another version of the object: S3 answered 412 PreconditionFailed. */
export class ObjectReplaced extends Error {
  constructor(bucket: string, key: string, expectedEtag: string, options?: { cause?: unknown }) {
    super(`s3://${bucket}/${key} no longer has ETag ${expectedEtag} (replaced by a newer upload)`, options);
    this.name = 'ObjectReplaced';
  }
}

const errorName = (error: unknown): string | undefined => (error as { name?: string } | null)?.name;
const httpStatus = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;

export interface StreamingUpload {
  sink: TextSink;
  /** Completes the upload; the object appears only now (multipart: on completion). */
  done(): Promise<void>;
  /** Aborts the upload: no object appears, parts are discarded. */
  abort(): Promise<void>;
}

export class ObjectStore {
  constructor(private readonly s3: S3Client) {}

  /** The object's bytes as a stream; `range` is inclusive, as in HTTP. */
  async read(
    bucket: string,
    key: string,
    range?: { start: number; end: number },
    ifMatch?: string,
  ): Promise<AsyncIterable<Uint8Array>> {
    return (await this.open(bucket, key, range, ifMatch)).body;
  }

  /**
   * The object's bytes and its ETag. With `ifMatch`, S3 refuses (412) when the object changed since that ETag was
   * read: fan-out chunks use it so that byte ranges planned on one version are never read from another.
   */
  async open(
    bucket: string,
    key: string,
    range?: { start: number; end: number },
    ifMatch?: string,
  ): Promise<{ body: AsyncIterable<Uint8Array>; etag: string | undefined; size: number | undefined }> {
    try {
      const out = await this.s3.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
          ...(ifMatch ? { IfMatch: ifMatch } : {}),
        }),
      );
      return { body: out.Body as AsyncIterable<Uint8Array>, etag: out.ETag, size: out.ContentLength };
    } catch (error) {
      if (error instanceof NoSuchKey || errorName(error) === 'NoSuchKey')
        throw new ObjectNotFound(bucket, key, { cause: error });
      if (ifMatch !== undefined && (errorName(error) === 'PreconditionFailed' || httpStatus(error) === 412))
        throw new ObjectReplaced(bucket, key, ifMatch, { cause: error });
      // S3 hides whether a key exists from a caller that may not list it (403 instead of 404), and whether a
      // prefix-scoped s3:ListBucket grant counts for that is not documented: ask the listing itself, which
      // the functions may do under the prefixes they read. A real denial stays a denial.
      if (httpStatus(error) === 403 && !(await this.exists(bucket, key).catch(() => true)))
        throw new ObjectNotFound(bucket, key, { cause: error });
      throw error;
    }
  }

  /** Whether the key exists, from a listing (needs s3:ListBucket for the key's prefix). */
  async exists(bucket: string, key: string): Promise<boolean> {
    const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    return page.Contents?.[0]?.Key === key;
  }

  /** The key's current ETag from a listing (s3:ListBucket on its prefix, no read of the object); undefined: gone. */
  async currentEtag(bucket: string, key: string): Promise<string | undefined> {
    const page = await this.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key, MaxKeys: 1 }));
    const first = page.Contents?.[0];
    return first?.Key === key ? first.ETag : undefined;
  }

  async readText(bucket: string, key: string): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.read(bucket, key)) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks).toString('utf8');
  }

  async putText(bucket: string, key: string, body: string, contentType: string): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  }

  /**
   * A multipart upload fed by a text sink, with backpressure: memory stays at a few parts (5 MB each) whatever
   * the size of the output.
   */
  upload(bucket: string, key: string, contentType: string): StreamingUpload {
    const body = new PassThrough({ highWaterMark: 1 << 20 });
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: bucket, Key: key, Body: body, ContentType: contentType },
      queueSize: 2,
      partSize: 5 * 1024 * 1024,
    });
    let failure: unknown;
    const finished = upload.done().then(
      () => undefined,
      (error: unknown) => {
        failure = error;
        body.destroy();
      },
    );
    return {
      sink: {
        write: (text) =>
          new Promise<void>((resolve, reject) => {
            if (failure) return reject(failure);
            if (body.write(text)) return resolve();
            const onDrain = () => {
              body.off('close', onClose);
              resolve();
            };
            const onClose = () => {
              body.off('drain', onDrain);
              reject(failure ?? new Error('upload stream closed'));
            };
            body.once('drain', onDrain);
            body.once('close', onClose);
          }),
      },
      async done() {
        body.end();
        await finished;
        if (failure) throw failure;
      },
      async abort() {
        await upload.abort().catch(() => {});
        body.destroy();
        await finished;
      },
    };
  }

  async list(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async delete(bucket: string, keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      if (batch.length === 0) continue;
      const out = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (out.Errors?.length)
        throw new Error(
          `could not delete ${out.Errors.length} objects under s3://${bucket}/, first: ${out.Errors[0]!.Key}: ${out.Errors[0]!.Message}`,
        );
    }
  }
}
