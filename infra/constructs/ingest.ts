import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType, ObjectOwnership, type IBucket } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// The S3 layout is the functions' own (layers/adapters/evaluation/keys.ts); the policies follow it.
import { INCOMING_PREFIX, RESULTS_PREFIX } from '../../layers/adapters/evaluation/keys.ts';

export { INCOMING_PREFIX, RESULTS_PREFIX };

/** Writing results (multipart uploads included) and deleting stale ones, as every writer of results/ does. */
export const WRITE_RESULTS = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'];

/** Listing keys under results/ only (parts to merge or clean up); no other listing. */
export function listResults(bucket: IBucket): PolicyStatement {
  return new PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${RESULTS_PREFIX}*`] } },
  });
}

export interface IngestProps {
  /** The consumer's timeout: a message must stay invisible longer than one attempt can run. */
  readonly consumerTimeout: Duration;
  readonly resultsExpirationDays: number;
  readonly retainData: boolean;
}

/**
 * The data bucket and the queue between it and the evaluate function. S3 → SQS (rather than S3 → Lambda) gives
 * retries with a visibility timeout, a dead-letter queue for files that keep failing, and backpressure when
 * many files land at once.
 */
export class Ingest extends Construct {
  readonly bucket: Bucket;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const removal = props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    const accessLogs = new Bucket(this, 'AccessLogs', {
      // Server access logs can only be delivered to SSE-S3 buckets.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: removal,
      autoDeleteObjects: !props.retainData,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the access-log target of the data bucket; logging it into itself would loop.',
    });

    this.bucket = new Bucket(this, 'Data', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      // An upload that overwrites a CSV (or a run that overwrites results) keeps the previous version.
      versioned: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'data-bucket/',
      lifecycleRules: [
        { id: 'expire-results', prefix: RESULTS_PREFIX, expiration: Duration.days(props.resultsExpirationDays) },
        // Versioning would otherwise keep every overwritten or deleted object forever.
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
      removalPolicy: removal,
      autoDeleteObjects: !props.retainData,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Uploads', {
      // SSE-SQS, not a KMS key: S3 can publish to it without a key policy.
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's guidance for Lambda event sources: six times the function timeout, so retries of a throttled
      // or slow batch do not make the message visible (and processed twice) while it is still running.
      visibilityTimeout: Duration.seconds(Math.min(props.consumerTimeout.toSeconds() * 6, 43_200)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 3 },
    });

    // Only CSV files under incoming/: the functions write under results/, so they can never trigger themselves.
    this.bucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.queue), {
      prefix: INCOMING_PREFIX,
      suffix: '.csv',
    });
  }
}
