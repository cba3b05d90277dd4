import { Duration } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource, logicalIdOf } from '../nag.ts';
import { type ClassifierImage, ImageFunction } from './imageFunction.ts';
import { FANOUT_PREFIX, INCOMING_PREFIX, LIST_PREFIXES, listUnder, RESULTS_PREFIX, WRITE_RESULTS } from './ingest.ts';

export interface EvaluationProps {
  readonly image: ClassifierImage;
  readonly bucket: IBucket;
  readonly queue: IQueue;
  /** Large files are handed to this state machine instead of being evaluated in one invocation. */
  readonly fanout: IStateMachine;
}

/** The evaluate function: reads an uploaded CSV, writes predictions and metrics, or starts the fan-out. */
export class Evaluation extends Construct {
  readonly evaluate: ImageFunction;

  constructor(scope: Construct, id: string, props: EvaluationProps) {
    super(scope, id);
    const { config } = props.image;
    this.evaluate = new ImageFunction(this, 'Evaluate', {
      image: props.image,
      handler: 'evaluate',
      description: 'Evaluates CSV files uploaded under incoming/ and writes results/',
      memoryMb: config.memoryMb.evaluate,
      timeoutSeconds: config.timeoutSeconds.evaluate,
      reservedConcurrency: config.reservedConcurrency.evaluate,
      environment: {
        FANOUT_ROW_THRESHOLD: String(config.fanoutRowThreshold),
        STATE_MACHINE_ARN: props.fanout.stateMachineArn,
      },
    });

    // Least privilege: read uploads (and list them, so a deleted upload answers 404, not 403); write results
    // (replacing or deleting an earlier run's); write a fan-out's manifest and start it.
    this.evaluate.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [props.bucket.arnForObjects(`${INCOMING_PREFIX}*`)],
      }),
    );
    this.evaluate.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: WRITE_RESULTS, resources: [props.bucket.arnForObjects(`${RESULTS_PREFIX}*`)] }),
    );
    this.evaluate.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [props.bucket.arnForObjects(`${FANOUT_PREFIX}*`)] }),
    );
    this.evaluate.role.addToPrincipalPolicy(listUnder(props.bucket, LIST_PREFIXES.evaluate));
    props.fanout.grantStartExecution(this.evaluate.role);

    this.evaluate.function.addEventSource(
      new SqsEventSource(props.queue, {
        batchSize: config.evaluateBatchSize,
        maxBatchingWindow: Duration.seconds(0),
        // A failing file goes back to the queue (and after three receives to the DLQ) without its batch mates.
        reportBatchItemFailures: true,
        // Lambda's SQS scaling stops here (no reservation needed): a burst of uploads takes at most this many of the
        // account's concurrent executions, so /predict keeps the rest; the other messages wait in the queue,
        // without being received (and without burning their receive counts on throttles).
        maxConcurrency: config.evaluateMaxConcurrency,
      }),
    );

    const bucketArn = `<${logicalIdOf(props.bucket)}.Arn>`;
    acknowledgeWildcardResource(
      this.evaluate.role,
      `${bucketArn}/${INCOMING_PREFIX}*`,
      'Reads whichever CSV a user uploaded (keys are chosen at upload time); limited to incoming/ and s3:GetObject.',
    );
    acknowledgeWildcardResource(
      this.evaluate.role,
      `${bucketArn}/${RESULTS_PREFIX}*`,
      'Writes (and replaces) results/<path>/ for whichever path was uploaded; limited to results/.',
    );
    acknowledgeWildcardResource(
      this.evaluate.role,
      `${bucketArn}/${FANOUT_PREFIX}*`,
      'Writes the manifest of whichever large file fans out; limited to fanout/ and s3:PutObject.',
    );
  }
}
