import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';

/** The error a reset connection gives a reader of an HTTP body (what s3rver's overwritten file produced). */
export const connectionReset = (): Error => Object.assign(new Error('aborted'), { code: 'ECONNRESET' });

/** A byte stream that delivers `bytes`, then fails the way an HTTP body does when its connection is reset. */
export function failingAfter(bytes: Uint8Array | string): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes));
        return;
      }
      setImmediate(() => this.destroy(connectionReset()));
    },
  });
}

/**
 * Makes GetObject bodies of keys matching `keys` fail half-way through, as when the object is overwritten while it is
 * read: the first half of the real bytes arrives, then ECONNRESET.
 */
export function failBodiesMidStream(client: S3Client, keys: RegExp): S3Client {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const key = (args.input as { Key?: string }).Key ?? '';
      if (context.commandName !== 'GetObjectCommand' || !keys.test(key)) return result;
      const output = result.output as { Body?: { transformToByteArray(): Promise<Uint8Array> } };
      const bytes = await output.Body!.transformToByteArray();
      (output as { Body?: unknown }).Body = failingAfter(bytes.subarray(0, Math.ceil(bytes.length / 2)));
      return result;
    },
    { step: 'initialize', name: 'failBodiesMidStream' },
  );
  return client;
}
