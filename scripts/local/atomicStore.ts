/**
 * The local S3 server's storage, made to behave like S3 where s3rver's own store does not and no option fixes it:
 *
 * - **Atomic writes.** s3rver writes an upload into the object's file in place and answers (and announces its
 *   event) before the bytes are on disk, so two overlapping PUTs of one key leave a file holding bytes of both under
 *   one upload's ETag and size, and a reader can see half an object. Here every upload is written to a temporary
 *   file first and, once complete, renamed into place with its ETag and metadata under a per-key lock that readers
 *   share: a reader sees one whole upload, the old one or the new one (an open read keeps the old bytes), and the
 *   upload's event is announced only once it is the stored object.
 * - **Keys that stay inside the data folder.** s3rver turns a key into a file path: `..` segments leave `DATA_DIR`
 *   (`incoming/../../../x.csv`), empty or `.` segments alias other keys, and a segment longer than a file name may be
 *   (255 bytes, with s3rver's suffix) throws ENAMETOOLONG from a write stream nobody listens to, which ends the
 *   process. Every key and bucket name is checked before any path is built: such keys are refused with S3's own
 *   answers (400 `KeyTooLongError`, `InvalidArgument`, `InvalidBucketName`), never a crash. Keys over 1,024 bytes are
 *   refused as S3 refuses them (s3rver stores them).
 *
 * s3rver reaches its store only through these methods (`S3rver#store` and the request context's `store`), so the
 * subclass replaces the behaviour without patching s3rver's code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3Error from 's3rver/lib/models/error.js';
import S3Object from 's3rver/lib/models/object.js';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1_024;
/** A file name's limit on Linux and macOS, in bytes. */
const MAX_NAME_BYTES = 255;
/** The longest suffix s3rver adds to a key's last segment (`._S3rver_metadata.json`). */
const LONGEST_SUFFIX = '._S3rver_metadata.json'.length;
/** The longest last segment of a key this store can keep. */
export const MAX_LAST_SEGMENT_BYTES = MAX_NAME_BYTES - LONGEST_SUFFIX;
/** Temporary files of uploads in progress, in the bucket's folder (never listed: no object suffix). */
const TEMPORARY_PREFIX = '.upload-';
/** Where s3rver keeps incomplete multipart uploads, in the bucket's folder. */
const MULTIPART_FOLDER = '._S3rver_uploads';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Why this store cannot keep `key` (an S3 error to answer with), or undefined when it can. */
export function keyProblem(key: string): S3Error | undefined {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) return new S3Error('KeyTooLongError', 'Your key is too long');
  if (key.includes('\0')) return new S3Error('InvalidArgument', 'the key contains a NUL character');
  const segments = key.split('/');
  // A trailing "/" (a folder marker) leaves an empty last segment; s3rver keeps it as a file of its own.
  const last = segments.length - 1;
  for (const [i, segment] of segments.entries()) {
    if (segment === '.' || segment === '..' || (segment === '' && i !== last) || (segment === '' && last === 0))
      return new S3Error(
        'InvalidArgument',
        `the local S3 server refuses keys with empty, "." or ".." segments (${JSON.stringify(key)}): it keeps objects as files under its data folder, and such keys would leave it or name another object's file; S3 itself stores them as written`,
      );
    const limit = i === last ? MAX_LAST_SEGMENT_BYTES : MAX_NAME_BYTES;
    if (Buffer.byteLength(segment) > limit)
      return new S3Error(
        'KeyTooLongError',
        `Your key is too long for the local S3 server: it keeps each segment of a key as a file name, so the last segment may have at most ${MAX_LAST_SEGMENT_BYTES} bytes and the others ${MAX_NAME_BYTES} (S3 itself allows any segment within the key's ${MAX_KEY_BYTES} bytes)`,
      );
  }
  return undefined;
}

/** Serialises the critical sections of one key (commits, deletes, and the reads that must see one whole version). */
class KeyLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async with<T>(name: string, section: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(name) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(name, tail);
    await previous;
    try {
      return await section();
    } finally {
      release();
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    }
  }
}

/** Resolves once the stream's file is open (its bytes are then the ones read, whatever replaces the path later). */
const opened = (stream: ReadStream): Promise<ReadStream> =>
  new Promise((resolve, reject) => {
    stream.once('error', reject);
    stream.once('open', () => {
      stream.off('error', reject);
      resolve(stream);
    });
  });

export class AtomicFilesystemStore extends FilesystemStore {
  readonly #locks = new KeyLocks();

  override getBucketPath(bucket: string): string {
    if (!BUCKET_NAME.test(bucket) || bucket.includes('..'))
      throw new S3Error('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: bucket });
    return super.getBucketPath(bucket);
  }

  override getResourcePath(bucket: string, key?: string, resource?: string): string {
    this.getBucketPath(bucket);
    if (key !== undefined && key !== '') {
      const problem = keyProblem(key);
      if (problem) throw problem;
    }
    return super.getResourcePath(bucket, key, resource);
  }

  /** Removes what an earlier run left half-done: temporary upload files and incomplete multipart uploads. */
  async removeLeftovers(bucket: string): Promise<void> {
    const folder = this.getBucketPath(bucket);
    const entries = await readdir(folder).catch(() => [] as string[]);
    await Promise.all(
      entries
        .filter((name) => name.startsWith(TEMPORARY_PREFIX) || name === MULTIPART_FOLDER)
        .map((name) => rm(join(folder, name), { recursive: true, force: true })),
    );
  }

  override async getMetadata(bucket: string, key: string): Promise<Record<string, unknown>> {
    const name = this.getResourcePath(bucket, key, 'object');
    return this.#locks.with(name, () => super.getMetadata(bucket, key));
  }

  override async getObject(
    bucket: string,
    key: string,
    options?: { start?: number; end?: number },
  ): Promise<S3Object | null> {
    const objectPath = this.getResourcePath(bucket, key, 'object');
    try {
      return await this.#locks.with(objectPath, async () => {
        // Metadata and bytes of the same version: the file is opened before a commit may replace it.
        const metadata = await super.getMetadata(bucket, key);
        const lastByte = Math.max(0, Number(metadata['content-length']) - 1);
        const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined);
        const range = { start: options?.start ?? 0, end: Math.min(options?.end ?? Number.POSITIVE_INFINITY, lastByte) };
        if (range.start < 0 || range.end < range.start) {
          const object = new S3Object(bucket, key, null, metadata);
          if (ranged) object.range = range;
          return object;
        }
        const content = await opened(createReadStream(objectPath, range));
        const object = new S3Object(bucket, key, content, metadata);
        if (ranged) object.range = range;
        return object;
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  override async putObject(object: S3Object): Promise<{ size: number; md5: string }> {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    const temporary = join(this.getBucketPath(object.bucket), `${TEMPORARY_PREFIX}${randomBytes(12).toString('hex')}`);
    const hash = createHash('md5');
    let size = 0;
    try {
      const measure = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      });
      const source = Buffer.isBuffer(object.content) ? [object.content] : object.content;
      // Resolves once the file is written and closed; any error (a client that went away) rejects instead of throwing.
      await pipeline(source as AsyncIterable<Buffer>, measure, createWriteStream(temporary));
      const md5 = hash.digest('hex');
      await writeFile(`${temporary}.md5`, md5);
      await writeFile(`${temporary}.json`, JSON.stringify(this.storedMetadata(object.metadata), null, 2));
      await this.#locks.with(objectPath, async () => {
        await mkdir(dirname(objectPath), { recursive: true });
        await rename(`${temporary}.json`, this.getResourcePath(object.bucket, object.key, 'metadata.json'));
        await rename(`${temporary}.md5`, this.getResourcePath(object.bucket, object.key, 'object.md5'));
        await rename(temporary, objectPath);
      });
      return { size, md5 };
    } finally {
      await Promise.all([temporary, `${temporary}.md5`, `${temporary}.json`].map((path) => rm(path, { force: true })));
    }
  }

  override async copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata: Record<string, unknown> | null,
  ): Promise<Record<string, unknown>> {
    const source = await this.getObject(srcBucket, srcKey);
    if (!source) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: srcKey });
    const metadata = replacementMetadata ?? source.metadata;
    await this.putObject(new S3Object(destBucket, destKey, source.content ?? Buffer.alloc(0), metadata));
    return this.getMetadata(destBucket, destKey);
  }

  override async deleteObject(bucket: string, key: string): Promise<void> {
    const objectPath = this.getResourcePath(bucket, key, 'object');
    await this.#locks.with(objectPath, () => super.deleteObject(bucket, key));
  }

  /** What s3rver's own putMetadata keeps of a request's headers. */
  private storedMetadata(metadata: Record<string, unknown>): Record<string, unknown> {
    const kept: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(metadata))
      if (S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-')) kept[name] = value;
    return kept;
  }
}
