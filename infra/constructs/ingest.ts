import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type BucketNotificationDestinationConfig,
  BucketNotificationDestinationType,
  EventType,
  type IBucket,
  type IBucketNotificationDestination,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
// The S3 layout is the functions' own (layers/adapters/evaluation/keys.ts); the policies follow it.
import { FANOUT_PREFIX, INCOMING_PREFIX, RESULTS_PREFIX, UPLOAD_FILTERS } from '#adapters/evaluation/keys.ts';

export { FANOUT_PREFIX, INCOMING_PREFIX, RESULTS_PREFIX };

/** Writing results (multipart uploads included) and deleting stale ones, as every writer of results/ does. */
export const WRITE_RESULTS = ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'];

/**
 * The prefixes each function may list. Reading a key that is gone answers 403 instead of 404 to a caller that
 * may not list it, so each reader may list exactly where it reads: evaluate and chunk read uploads, aggregate
 * reads (and lists, to delete) the fan-out's parts. Tests give their S3 client the same grants.
 */
export const LIST_PREFIXES = {
  evaluate: [INCOMING_PREFIX],
  chunk: [INCOMING_PREFIX],
  // incoming/ too: a failed run checks, by listing, that its upload is still the current one before error.json.
  aggregate: [FANOUT_PREFIX, INCOMING_PREFIX],
} as const satisfies Record<string, readonly string[]>;

/** Listing keys under the given prefixes only; no other listing. */
export function listUnder(bucket: IBucket, prefixes: readonly string[]): PolicyStatement {
  return new PolicyStatement({
    actions: ['s3:ListBucket'],
    resources: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': prefixes.map((prefix) => `${prefix}*`) } },
  });
}

/** Days after which a fan-out's work files expire: far beyond the state machine's 6-hour timeout. */
export const FANOUT_EXPIRATION_DAYS = 2;

/**
 * S3 → SQS like CDK's SqsDestination, with `aws:SourceAccount` next to `aws:SourceArn` in the queue policy:
 * a bucket name can be deleted and re-created by another account, an account id cannot.
 */
class AccountScopedQueueDestination implements IBucketNotificationDestination {
  constructor(private readonly queue: IQueue) {}

  bind(_scope: Construct, bucket: IBucket): BucketNotificationDestinationConfig {
    this.queue.grantSendMessages(
      new ServicePrincipal('s3.amazonaws.com', {
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(bucket).account },
        },
      }),
    );
    return { arn: this.queue.queueArn, type: BucketNotificationDestinationType.QUEUE, dependencies: [this.queue] };
  }
}

export interface IngestProps {
  /** The consumer's timeout: a message must stay invisible longer than one attempt can run. */
  readonly consumerTimeout: Duration;
  readonly resultsExpirationDays: number;
  /** Uploads expire after this many days; undefined: never (they may be the only copy of the data). */
  readonly incomingExpirationDays?: number | undefined;
  readonly retainData: boolean;
}

/** Days S3 keeps a version after it was overwritten or deleted (the data bucket is versioned). */
export const NONCURRENT_VERSION_DAYS = 30;

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
        ...(props.incomingExpirationDays !== undefined
          ? [{ id: 'expire-uploads', prefix: INCOMING_PREFIX, expiration: Duration.days(props.incomingExpirationDays) }]
          : []),
        // Versioning would otherwise keep every overwritten or deleted object forever, and the delete markers
        // left once all of a key's old versions have expired (they only slow listings down).
        {
          id: 'expire-old-versions',
          noncurrentVersionExpiration: Duration.days(NONCURRENT_VERSION_DAYS),
          expiredObjectDeleteMarker: true,
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        // A run abandoned mid-way (its file replaced, its execution failed) cannot clean up after itself.
        { id: 'expire-fanout-work', prefix: FANOUT_PREFIX, expiration: Duration.days(FANOUT_EXPIRATION_DAYS) },
      ],
      removalPolicy: removal,
      autoDeleteObjects: !props.retainData,
    });

    if (props.retainData) {
      // Kept buckets keep their policies: the TLS-only rule, and the log delivery grant of the access-log bucket.
      // CDK gives the policies of retained buckets DESTROY, so `cdk destroy` would strip them.
      for (const bucket of [this.bucket, accessLogs]) {
        if (!bucket.policy) throw new Error(`${bucket.node.path} has no bucket policy to retain`);
        bucket.policy.applyRemovalPolicy(RemovalPolicy.RETAIN);
      }
    }

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

    // Only CSV files under incoming/ (the functions write elsewhere, so they never trigger themselves); one
    // filter per spelling of the extension, because S3 matches suffixes case-sensitively.
    const destination = new AccountScopedQueueDestination(this.queue);
    for (const filter of UPLOAD_FILTERS)
      this.bucket.addEventNotification(EventType.OBJECT_CREATED, destination, { ...filter });
  }
}
