import { S3Client } from '@aws-sdk/client-s3';
import type { RuntimeConfig } from '../config.ts';

/** The S3 client of a composition root: the platform's defaults, or path-style against a given endpoint. */
export function createS3Client(config: Pick<RuntimeConfig, 's3Endpoint'>): S3Client {
  return config.s3Endpoint ? new S3Client({ endpoint: config.s3Endpoint, forcePathStyle: true }) : new S3Client({});
}
