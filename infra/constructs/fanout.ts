import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  DefinitionBody,
  DistributedMap,
  ItemBatcher,
  JsonPath,
  LogLevel,
  S3JsonItemReader,
  StateMachine,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { chunkBatchInputPaths } from '#adapters/evaluation/fanoutContracts.ts';
import { acknowledgeWildcardResource, logicalIdOf } from '../nag.ts';
import { throttleRetryFor } from '../throttleRetry.ts';
import { type ClassifierImage, ImageFunction } from './imageFunction.ts';
import { FANOUT_PREFIX, INCOMING_PREFIX, LIST_PREFIXES, listUnder, RESULTS_PREFIX, WRITE_RESULTS } from './ingest.ts';

/**
 * What every chunk invocation gets besides its Items, selected from the execution input. ItemBatcher passes
 * BatchInput through unrendered, so the JSONPath keys are spelled out. Exported for the image test, which plays
 * the Distributed Map's part against the real handlers.
 */
export const CHUNK_BATCH_INPUT = chunkBatchInputPaths();
/** A fan-out that has not finished by then fails (and raises the FanoutTimedOut alarm). */
export const STATE_MACHINE_TIMEOUT = Duration.hours(6);
/** The aggregate step's payload: the whole execution input. */
export const AGGREGATE_PAYLOAD_PATH = '$';

export interface FanoutProps {
  readonly image: ClassifierImage;
  readonly bucket: IBucket;
}

/**
 * Large CSVs: the evaluate function splits the file into byte ranges (a range list, a JSON array under
 * fanout/<path>/<run>/), then this state machine classifies the ranges in parallel and merges the parts.
 *
 * Execution input (from the evaluate function):
 *   {bucket, key, rangesKey, partsPrefix, resultPrefix, columns, delimiter, rows, items}
 * Chunk invocation (one batch of range-list items; the chunk function reads the CSV bytes itself, so no
 * payload comes near the 256 KB limit):
 *   {Items: [{index, start, end, firstLine, firstRow, rows}, ...], BatchInput: {bucket, key, partsPrefix, columns, delimiter, etag}}
 */
export class Fanout extends Construct {
  readonly stateMachine: StateMachine;
  readonly chunk: ImageFunction;
  readonly aggregate: ImageFunction;

  constructor(scope: Construct, id: string, props: FanoutProps) {
    super(scope, id);
    const { config } = props.image;
    const { bucket } = props;

    this.chunk = new ImageFunction(this, 'Chunk', {
      image: props.image,
      handler: 'chunk',
      description: 'Classifies byte ranges of a large CSV into parts (fan-out item processor)',
      memoryMb: config.memoryMb.chunk,
      timeoutSeconds: config.timeoutSeconds.chunk,
      reservedConcurrency: config.reservedConcurrency.chunk,
    });
    this.chunk.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${INCOMING_PREFIX}*`)] }),
    );
    this.chunk.role.addToPrincipalPolicy(listUnder(bucket, LIST_PREFIXES.chunk));
    this.chunk.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [bucket.arnForObjects(`${FANOUT_PREFIX}*`)],
      }),
    );

    this.aggregate = new ImageFunction(this, 'Aggregate', {
      image: props.image,
      handler: 'aggregate',
      description: 'Merges the parts of a fanned-out CSV into predictions, metrics and reports',
      memoryMb: config.memoryMb.aggregate,
      timeoutSeconds: config.timeoutSeconds.aggregate,
      // Runs once per fanned-out file, after the map: nothing to cap.
      reservedConcurrency: 0,
    });
    // Reads the range list and parts, writes the results, records that it is done, then lists and deletes the parts.
    this.aggregate.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: WRITE_RESULTS, resources: [bucket.arnForObjects(`${RESULTS_PREFIX}*`)] }),
    );
    this.aggregate.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: [bucket.arnForObjects(`${FANOUT_PREFIX}*`)],
      }),
    );
    this.aggregate.role.addToPrincipalPolicy(listUnder(bucket, LIST_PREFIXES.aggregate));

    const classifyChunks = new DistributedMap(this, 'ClassifyChunks', {
      comment: 'One child workflow per batch of range-list items (byte ranges of the CSV)',
      itemReader: new S3JsonItemReader({
        bucketNamePath: JsonPath.stringAt('$.bucket'),
        key: JsonPath.stringAt('$.rangesKey'),
      }),
      itemBatcher: new ItemBatcher({
        maxItemsPerBatch: config.fanoutItemsPerBatch,
        batchInput: CHUNK_BATCH_INPUT,
      }),
      maxConcurrency: config.fanoutMaxConcurrency,
      // A chunk runs up to 15 minutes; Express child workflows stop at 5.
      mapExecutionType: StateMachineType.STANDARD,
      // The parts are in S3; the children's summaries are not needed downstream and must not accumulate
      // towards the 256 KB state payload limit.
      resultPath: JsonPath.DISCARD,
    });
    const classifyChunk = new LambdaInvoke(this, 'ClassifyChunk', {
      lambdaFunction: this.chunk.function,
      payloadResponseOnly: true,
    });
    // Throttles (reserved concurrency, account quota) are not in LambdaInvoke's default retries. They are
    // retried until the state machine itself would time out, so waiting for a slot never fails a file.
    const throttleRetry = throttleRetryFor(STATE_MACHINE_TIMEOUT.toSeconds());
    classifyChunk.addRetry({
      errors: ['Lambda.TooManyRequestsException'],
      interval: Duration.seconds(throttleRetry.intervalSeconds),
      backoffRate: throttleRetry.backoffRate,
      maxDelay: Duration.seconds(throttleRetry.maxDelaySeconds),
      maxAttempts: throttleRetry.maxAttempts,
    });
    classifyChunks.itemProcessor(classifyChunk);

    const aggregate = new LambdaInvoke(this, 'AggregateParts', {
      lambdaFunction: this.aggregate.function,
      // The map passes the execution input through unchanged (ResultPath null): the aggregate step gets all of
      // it (bucket, key, rangesKey, partsPrefix, resultPrefix, columns, ...), so the contract lives in one place.
      payload: TaskInput.fromJsonPathAt(AGGREGATE_PAYLOAD_PATH),
      outputPath: '$.Payload',
    });

    const logGroup = new LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix keeps Step Functions from growing the account's log resource policy.
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-fanout`,
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: 'Classifies a large CSV in parallel byte ranges, then merges the parts',
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(classifyChunks.next(aggregate)),
      timeout: STATE_MACHINE_TIMEOUT,
      tracingEnabled: true,
      // Execution data (keys, column names) is visible in the execution history already; the logs keep events only.
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
    // The item reader gets the bucket from the execution input, so CDK cannot grant it; the range list lives under fanout/.
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [bucket.arnForObjects(`${FANOUT_PREFIX}*`)] }),
    );

    const bucketArn = `<${logicalIdOf(bucket)}.Arn>`;
    acknowledgeWildcardResource(
      this.chunk.role,
      `${bucketArn}/${FANOUT_PREFIX}*`,
      'Writes the parts of whichever file fanned out; limited to fanout/.',
    );
    acknowledgeWildcardResource(
      this.aggregate.role,
      `${bucketArn}/${FANOUT_PREFIX}*`,
      'Reads, marks done and deletes the parts of whichever file fanned out; limited to fanout/.',
    );
    acknowledgeWildcardResource(
      this.aggregate.role,
      `${bucketArn}/${RESULTS_PREFIX}*`,
      'Writes the results of whichever file fanned out; limited to results/.',
    );
    acknowledgeWildcardResource(
      this.chunk.role,
      `${bucketArn}/${INCOMING_PREFIX}*`,
      'Reads byte ranges of whichever CSV was uploaded; limited to incoming/ and s3:GetObject.',
    );
    // The state machine scope covers its role and the separate DistributedMapPolicy CDK attaches to it.
    const machine = this.stateMachine;
    acknowledgeWildcardResource(
      machine,
      `${bucketArn}/${FANOUT_PREFIX}*`,
      'The item reader reads the range list of whichever file fanned out; limited to fanout/ and s3:GetObject.',
    );
    for (const fn of [this.chunk, this.aggregate]) {
      acknowledgeWildcardResource(
        machine,
        `<${logicalIdOf(fn.function)}.Arn>:*`,
        "CDK's LambdaInvoke grant also covers versions and aliases of this one function.",
      );
    }
    acknowledgeWildcardResource(
      machine,
      '*',
      'X-Ray (tracing) and CloudWatch Logs vended delivery (execution logs) support no resource-level permissions; the actions are specific, not a wildcard.',
    );
    // How cdk-nag prints the state machine's name inside the execution ARNs CDK grants on.
    const stateMachineName = JSON.stringify({
      'Fn::Select': [6, { 'Fn::Split': [':', { Ref: logicalIdOf(this.stateMachine) }] }],
    });
    const executions = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName}`;
    acknowledgeWildcardResource(
      machine,
      `${executions}:*`,
      'The Distributed Map describes and stops its own child executions, whose ids are generated at run time.',
    );
    acknowledgeWildcardResource(
      machine,
      `${executions}/*:*`,
      'The Distributed Map redrives its own failed child executions, whose ids are generated at run time.',
    );
  }
}
