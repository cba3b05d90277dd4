import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  DefinitionBody,
  DistributedMap,
  Fail,
  ItemBatcher,
  JitterType,
  JsonPath,
  LogLevel,
  type QueryLanguage,
  S3JsonItemReader,
  StateMachine,
  StateMachineType,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  FANOUT_TIMEOUT_SECONDS,
  fanoutStepRetriers,
  RECORD_FAILURE_RETRIERS,
  type Retrier,
  STATES_ALL,
} from '#adapters/evaluation/fanoutRetries.ts';
import { acknowledgeWildcardResource, logicalIdOf } from '../nag.ts';
import { type ClassifierImage, ImageFunction } from './imageFunction.ts';
import { FANOUT_PREFIX, INCOMING_PREFIX, LIST_PREFIXES, listUnder, RESULTS_PREFIX, WRITE_RESULTS } from './ingest.ts';

/** A fan-out that has not finished by then fails (and raises the FanoutTimedOut alarm). */
export const STATE_MACHINE_TIMEOUT = Duration.seconds(FANOUT_TIMEOUT_SECONDS);
/** The aggregate step's payload: the whole execution input. */
export const AGGREGATE_PAYLOAD_PATH = '$';
/** Where the Catch puts Step Functions' `{Error, Cause}` in the state, beside the execution input. */
export const FAILURE_PATH = '$.failure';
/**
 * The biggest batch a chunk invocation gets (items carry their run, columns included): Step Functions makes batches
 * smaller rather than exceed it, well inside the 256 KiB a state's input may be.
 */
export const MAX_BATCH_BYTES = 200 * 1024;

/**
 * A Distributed Map whose tolerated failure is written into the definition: CDK leaves a 0 out (ASL's default is 0
 * too), and a setting this deliberate should be read in the definition, not inferred from a default.
 */
class NoFailureToleratedMap extends DistributedMap {
  override toStateJson(topLevelQueryLanguage?: QueryLanguage): object {
    return { ...super.toStateJson(topLevelQueryLanguage), ToleratedFailurePercentage: 0, ToleratedFailureCount: 0 };
  }
}

/** One retrier of fanoutRetries.ts on a Lambda step. */
function addRetrier(task: LambdaInvoke, retrier: Retrier): void {
  task.addRetry({
    errors: [...retrier.errors],
    interval: Duration.seconds(retrier.intervalSeconds),
    backoffRate: retrier.backoffRate,
    maxDelay: Duration.seconds(retrier.maxDelaySeconds),
    maxAttempts: retrier.maxAttempts,
    ...(retrier.jitter === 'FULL' ? { jitterStrategy: JitterType.FULL } : {}),
  });
}

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
 * Chunk invocation (one batch of range-list items, each with its run; the chunk function reads the CSV bytes
 * itself, so no payload comes near the 256 KB limit):
 *   {Items: [{index, start, end, firstLine, firstRow, rows, run: {bucket, key, partsPrefix, columns, delimiter, etag}}, ...]}
 * Every Lambda step retries throttles, Lambda's service errors and (boundedly, the steps being idempotent) any other
 * failure, with backoff and jitter (layers/adapters/evaluation/fanoutRetries.ts); what still fails is caught: the
 * aggregate function writes error.json (the inline path's document) and the execution fails.
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

    const classifyChunks = new NoFailureToleratedMap(this, 'ClassifyChunks', {
      comment: 'One child workflow per batch of range-list items (byte ranges of the CSV)',
      itemReader: new S3JsonItemReader({
        bucketNamePath: JsonPath.stringAt('$.bucket'),
        key: JsonPath.stringAt('$.rangesKey'),
      }),
      // No BatchInput: each item carries its run (fanoutContracts.ts), so a child's input is plain data.
      itemBatcher: new ItemBatcher({
        maxItemsPerBatch: config.fanoutItemsPerBatch,
        maxInputBytesPerBatch: MAX_BATCH_BYTES,
      }),
      maxConcurrency: config.fanoutMaxConcurrency,
      // Deliberately no tolerated failure (NoFailureToleratedMap): predictions.csv must have every row, so a chunk
      // that fails after its retries fails the file (error.json) rather than leave a part out.
      // A chunk runs up to 15 minutes; Express child workflows stop at 5.
      mapExecutionType: StateMachineType.STANDARD,
      // The parts are in S3; the children's summaries are not needed downstream and must not accumulate
      // towards the 256 KB state payload limit.
      resultPath: JsonPath.DISCARD,
    });
    const retriers = fanoutStepRetriers(STATE_MACHINE_TIMEOUT.toSeconds());
    const classifyChunk = new LambdaInvoke(this, 'ClassifyChunk', {
      lambdaFunction: this.chunk.function,
      // The function's own ARN as the Resource, no Parameters: the child's whole input, {"Items": [...]}, is the
      // event, and the function's answer the result.
      payloadResponseOnly: true,
      // LambdaInvoke's own service-error retrier has no jitter: the retriers below replace it.
      retryOnServiceExceptions: false,
    });
    for (const retrier of retriers) addRetrier(classifyChunk, retrier);
    classifyChunks.itemProcessor(classifyChunk);

    const aggregate = new LambdaInvoke(this, 'AggregateParts', {
      lambdaFunction: this.aggregate.function,
      // The map passes the execution input through unchanged (ResultPath null): the aggregate step gets all of
      // it (bucket, key, rangesKey, partsPrefix, resultPrefix, columns, ...), so the contract lives in one place.
      payload: TaskInput.fromJsonPathAt(AGGREGATE_PAYLOAD_PATH),
      outputPath: '$.Payload',
      retryOnServiceExceptions: false,
    });
    for (const retrier of retriers) addRetrier(aggregate, retrier);

    // The Catch: the same function writes error.json (unless a newer upload has its own run), then the execution
    // fails, so the FanoutFailed alarm fires.
    const recordFailure = new LambdaInvoke(this, 'RecordFailure', {
      lambdaFunction: this.aggregate.function,
      payload: TaskInput.fromObject({
        bucket: JsonPath.stringAt('$.bucket'),
        key: JsonPath.stringAt('$.key'),
        rangesKey: JsonPath.stringAt('$.rangesKey'),
        partsPrefix: JsonPath.stringAt('$.partsPrefix'),
        resultPrefix: JsonPath.stringAt('$.resultPrefix'),
        columns: JsonPath.listAt('$.columns'),
        etag: JsonPath.stringAt('$.etag'),
        failure: JsonPath.objectAt(FAILURE_PATH),
        execution: JsonPath.executionName,
      }),
      resultPath: JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    for (const retrier of RECORD_FAILURE_RETRIERS) addRetrier(recordFailure, retrier);
    const failed = recordFailure.next(
      new Fail(this, 'FanoutFailed', {
        errorPath: `${FAILURE_PATH}.Error`,
        causePath: `${FAILURE_PATH}.Cause`,
      }),
    );
    classifyChunks.addCatch(failed, { errors: [STATES_ALL], resultPath: FAILURE_PATH });
    aggregate.addCatch(failed, { errors: [STATES_ALL], resultPath: FAILURE_PATH });

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
