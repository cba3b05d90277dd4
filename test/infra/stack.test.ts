import { createRequire } from 'node:module';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ROUTES, routeKeysOf } from '#adapters/api/routes.ts';
import { type Retrier, retryBudgetSeconds } from '#adapters/evaluation/fanoutRetries.ts';
import { FANOUT_PREFIX, UPLOAD_FILTERS } from '#adapters/evaluation/keys.ts';
import { DEFAULT_EVALUATE_MAX_CONCURRENCY } from '../../infra/config.ts';
import { SUSTAINED_THROTTLE_PERIODS } from '../../infra/constructs/alarms.ts';
import { MAX_BATCH_BYTES } from '../../infra/constructs/fanout.ts';
import { FANOUT_EXPIRATION_DAYS, NONCURRENT_VERSION_DAYS } from '../../infra/constructs/ingest.ts';
import { logicalId, resourcesOf, type Synthesized, stateMachineDefinition, synthesize } from './synth.ts';

/** asl-validator ships no types. */
const validateAsl = createRequire(import.meta.url)('asl-validator') as (
  definition: unknown,
  options: { checkArn: boolean; checkPaths: boolean },
) => { isValid: boolean; errors: unknown[] };

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
type PolicyDocument = { Statement: Statement[] };
type AslRetrier = {
  ErrorEquals: string[];
  IntervalSeconds: number;
  BackoffRate: number;
  MaxDelaySeconds: number;
  MaxAttempts: number;
  JitterStrategy?: string;
};
type AslState = Record<string, unknown> & {
  Type: string;
  Retry?: AslRetrier[];
  Catch?: { ErrorEquals: string[]; ResultPath: string; Next: string }[];
  Next?: string;
};
type AslDefinition = {
  TimeoutSeconds: number;
  StartAt: string;
  States: Record<string, AslState & { ItemProcessor?: { StartAt: string; States: Record<string, AslState> } }>;
};

/** The fan-out state machine's definition, and its chunk step (inside the Distributed Map). */
function fanoutDefinition(synth: Synthesized): { definition: AslDefinition; map: AslState; chunk: AslState } {
  const [[, machine]] = resourcesOf(synth, 'AWS::StepFunctions::StateMachine') as [
    [string, { DefinitionString: unknown }],
  ];
  const definition = stateMachineDefinition(machine.DefinitionString) as AslDefinition;
  const map = definition.States[definition.StartAt]!;
  const processor = map.ItemProcessor!;
  return { definition, map, chunk: processor.States[processor.StartAt]! };
}

const asRetrier = (r: AslRetrier): Retrier => ({
  errors: r.ErrorEquals,
  intervalSeconds: r.IntervalSeconds,
  backoffRate: r.BackoffRate,
  maxDelaySeconds: r.MaxDelaySeconds,
  maxAttempts: r.MaxAttempts,
  jitter: r.JitterStrategy === 'FULL' ? 'FULL' : 'NONE',
});

const FUNCTION = 'AWS::Lambda::Function';
/** A synthesis takes seconds alone, but minutes on a loaded machine. */
const SYNTH_TIMEOUT = 300_000;

describe('the stack with default context', () => {
  let synth: Synthesized;
  let bucket: string;
  let uploads: string;
  let deadLetters: string;
  let evaluateFn: string;
  let chunkFn: string;
  let aggregateFn: string;

  beforeAll(async () => {
    synth = await synthesize();
    bucket = logicalId(synth, 'AWS::S3::Bucket', 'IngestData');
    uploads = logicalId(synth, 'AWS::SQS::Queue', 'IngestUploads');
    deadLetters = logicalId(synth, 'AWS::SQS::Queue', 'IngestDeadLetters');
    evaluateFn = logicalId(synth, FUNCTION, 'EvaluationEvaluate');
    chunkFn = logicalId(synth, FUNCTION, 'FanoutChunk');
    aggregateFn = logicalId(synth, FUNCTION, 'FanoutAggregate');
  }, SYNTH_TIMEOUT);
  afterAll(() => synth?.dispose());

  it('passes cdk-nag AwsSolutions with every remaining finding acknowledged', () => {
    expect(synth.validationReport.pluginReports).toEqual([]);
  });

  it('sends only ObjectCreated events of incoming/*.csv and incoming/*.CSV to the uploads queue', () => {
    synth.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: bucket },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            // CDK writes the suffix rule first.
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.csv' },
                  { Name: 'prefix', Value: 'incoming/' },
                ],
              },
            },
            QueueArn: { 'Fn::GetAtt': [uploads, 'Arn'] },
          },
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.CSV' },
                  { Name: 'prefix', Value: 'incoming/' },
                ],
              },
            },
            QueueArn: { 'Fn::GetAtt': [uploads, 'Arn'] },
          },
        ],
      },
    });
  });

  it('deploys exactly the notification filters the local stack applies', () => {
    const [[, notifications]] = resourcesOf(synth, 'Custom::S3BucketNotifications') as [
      [
        string,
        {
          NotificationConfiguration: {
            QueueConfigurations: { Filter: { Key: { FilterRules: { Name: string; Value: string }[] } } }[];
          };
        },
      ],
    ];
    const deployed = notifications.NotificationConfiguration.QueueConfigurations.map(({ Filter }) =>
      Object.fromEntries(Filter.Key.FilterRules.map((rule) => [rule.Name, rule.Value])),
    );
    expect(deployed).toEqual(UPLOAD_FILTERS.map((filter) => ({ ...filter })));
  });

  it('lets only S3 of this account and this bucket send to the uploads queue', () => {
    synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: uploads }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Condition: {
              ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket, 'Arn'] } },
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
            },
          }),
        ]),
      },
    });
  });

  it('moves a message to the dead-letter queue after three receives, and hides it longer than evaluate runs', () => {
    const queue = synth.json.Resources[uploads]!.Properties as { VisibilityTimeout: number; RedrivePolicy: unknown };
    const evaluate = synth.json.Resources[evaluateFn]!.Properties as { Timeout: number };
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [deadLetters, 'Arn'] },
      maxReceiveCount: 3,
    });
    expect(queue.VisibilityTimeout).toBeGreaterThan(evaluate.Timeout);
  });

  it('lets evaluate consume the queue with partial batch failure reporting', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [uploads, 'Arn'] },
      FunctionName: { Ref: evaluateFn },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('caps the evaluations the queue runs at once, without reserving concurrency, so uploads cannot starve /predict', () => {
    synth.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: evaluateFn },
      ScalingConfig: { MaximumConcurrency: DEFAULT_EVALUATE_MAX_CONCURRENCY },
    });
    expect(DEFAULT_EVALUATE_MAX_CONCURRENCY).toBeGreaterThanOrEqual(2);
  });

  it('encrypts the queues and refuses non-TLS access to them', () => {
    for (const [, queue] of resourcesOf(synth, 'AWS::SQS::Queue')) expect(queue.SqsManagedSseEnabled).toBe(true);
    synth.template.resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      2,
    );
  });

  it('keeps the data bucket encrypted, private, versioned, TLS-only and expiring results/', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'results/', ExpirationInDays: 90, Status: 'Enabled' })]),
      },
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
    });
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires old versions and the delete markers they leave, and keeps uploads unless asked', () => {
    const rules = (
      synth.json.Resources[bucket]!.Properties as {
        LifecycleConfiguration: { Rules: Record<string, unknown>[] };
      }
    ).LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({
        NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_VERSION_DAYS },
        ExpiredObjectDeleteMarker: true,
        Status: 'Enabled',
      }),
    );
    expect(rules.filter((rule) => rule.Prefix === 'incoming/')).toEqual([]);
  });

  it('keeps the buckets and their policies (TLS only, log delivery) when the stack is deleted, with no auto-delete', () => {
    const policies = resourcesOf(synth, 'AWS::S3::BucketPolicy').map(
      ([id]) => synth.json.Resources[id] as Record<string, unknown>,
    );
    expect(policies).toHaveLength(2);
    for (const policy of policies)
      expect(policy).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    for (const [id] of resourcesOf(synth, 'AWS::S3::Bucket'))
      expect(synth.json.Resources[id]).toMatchObject({ DeletionPolicy: 'Retain' });
    synth.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('expires what an abandoned fan-out leaves under fanout/, long after a run can still need it', () => {
    const rules = (
      synth.json.Resources[bucket]!.Properties as {
        LifecycleConfiguration: { Rules: { Prefix?: string; ExpirationInDays?: number; Status: string }[] };
      }
    ).LifecycleConfiguration.Rules;
    const [[, machine]] = resourcesOf(synth, 'AWS::StepFunctions::StateMachine') as [
      [string, { DefinitionString: unknown }],
    ];
    const timeoutSeconds = stateMachineDefinition(machine.DefinitionString).TimeoutSeconds as number;

    expect(rules).toContainEqual(
      expect.objectContaining({ Prefix: FANOUT_PREFIX, ExpirationInDays: FANOUT_EXPIRATION_DAYS, Status: 'Enabled' }),
    );
    expect(FANOUT_EXPIRATION_DAYS * 86_400).toBeGreaterThan(timeoutSeconds);
  });

  it('retries throttled chunk and aggregate invocations, with full jitter, for as long as the state machine may run', () => {
    const { definition, map, chunk } = fanoutDefinition(synth);
    const aggregate = definition.States[map.Next!]!;
    for (const step of [chunk, aggregate]) {
      const throttle = step.Retry!.find(
        (r) => JSON.stringify(r.ErrorEquals) === '["Lambda.TooManyRequestsException"]',
      )!;
      expect(throttle.JitterStrategy).toBe('FULL');
      // Expected total wait: with full jitter each wait is uniform in [0, computed], so half the computed sum.
      expect(retryBudgetSeconds(asRetrier(throttle))).toBeGreaterThanOrEqual(definition.TimeoutSeconds);
    }
  });

  it('retries throttles, Lambda service errors and (a bounded number of times) any failure on every Lambda step, with backoff and jitter', () => {
    const { definition, map, chunk } = fanoutDefinition(synth);
    const aggregate = definition.States[map.Next!]!;
    const record = definition.States[aggregate.Catch![0]!.Next]!;
    const errorsOf = (state: AslState) => state.Retry!.map((r) => r.ErrorEquals.join(','));
    const service =
      'Lambda.ServiceException,Lambda.AWSLambdaException,Lambda.SdkClientException,Lambda.ClientExecutionTimeoutException';

    for (const step of [chunk, aggregate]) {
      // First match wins: a replaced file is never retried; States.TaskFailed (which would match throttles and
      // service errors too) comes last.
      expect(errorsOf(step)).toEqual([
        'ObjectChangedError',
        'Lambda.TooManyRequestsException',
        service,
        'States.TaskFailed,States.Timeout',
      ]);
      const [replaced, , , anyFailure] = step.Retry!;
      expect(replaced!.MaxAttempts).toBe(0);
      expect(anyFailure!.MaxAttempts).toBeGreaterThan(0);
      expect(anyFailure!.MaxAttempts).toBeLessThanOrEqual(3);
    }
    expect(errorsOf(record)).toEqual(['Lambda.TooManyRequestsException', service]);
    for (const retrier of [chunk, aggregate, record].flatMap((step) => step.Retry!).filter((r) => r.MaxAttempts > 0)) {
      expect(retrier.BackoffRate).toBeGreaterThan(1);
      expect(retrier.JitterStrategy).toBe('FULL');
      expect(retrier.MaxDelaySeconds).toBeGreaterThan(0);
    }
  });

  it('catches what still fails after the retries: the aggregate function writes error.json, then the execution fails', () => {
    const { definition, map } = fanoutDefinition(synth);
    const aggregate = definition.States[map.Next!]!;
    const catchAll = { ErrorEquals: ['States.ALL'], ResultPath: '$.failure' };
    expect(map.Catch).toEqual([{ ...catchAll, Next: 'RecordFailure' }]);
    expect(aggregate.Catch).toEqual([{ ...catchAll, Next: 'RecordFailure' }]);
    expect(definition.States.RecordFailure).toMatchObject({
      Type: 'Task',
      ResultPath: null,
      Next: 'FanoutFailed',
      Parameters: {
        FunctionName: `<${aggregateFn}.Arn>`,
        Payload: {
          'bucket.$': '$.bucket',
          'key.$': '$.key',
          'resultPrefix.$': '$.resultPrefix',
          'etag.$': '$.etag',
          'failure.$': '$.failure',
          'execution.$': '$$.Execution.Name',
        },
      },
    });
    expect(definition.States.FanoutFailed).toEqual({
      Type: 'Fail',
      ErrorPath: '$.failure.Error',
      CausePath: '$.failure.Cause',
    });
  });

  it('passes asl-validator: the ASL schema (retriers, tolerance), every transition and Catch target, a terminal state', () => {
    const { definition } = fanoutDefinition(synth);
    // Intrinsics are rendered as "<Ref>" strings, which are no ARNs: the schema, paths and transitions are checked.
    const result = validateAsl(definition, { checkArn: false, checkPaths: true });
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('tolerates no failed chunk, deliberately: predictions.csv has every row or the file gets error.json', () => {
    const { map } = fanoutDefinition(synth);
    expect(map.ToleratedFailurePercentage).toBe(0);
    expect(map.ToleratedFailureCount).toBe(0);
  });

  it('runs the fan-out as a Distributed Map over the manifest JSON, batched, then aggregates', () => {
    const [[, machine]] = resourcesOf(synth, 'AWS::StepFunctions::StateMachine') as [
      [string, { DefinitionString: unknown }],
    ];
    const definition = stateMachineDefinition(machine.DefinitionString) as {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    const map = definition.States[definition.StartAt]!;
    expect(map).toMatchObject({
      Type: 'Map',
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
      ItemReader: {
        Resource: 'arn:<AWS::Partition>:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket.$': '$.bucket', 'Key.$': '$.rangesKey' },
      },
      // No BatchInput (whether Step Functions substitutes JSONPath keys inside it is not documented): each range
      // list item carries its run, and a child's input is {"Items": [...]}, which the chunk step passes whole.
      ItemBatcher: { MaxItemsPerBatch: 5, MaxInputBytesPerBatch: MAX_BATCH_BYTES },
      // Child summaries are dropped, so the map's output cannot grow past the 256 KB payload limit.
      ResultPath: null,
    });
    expect(map.ItemBatcher).not.toHaveProperty('BatchInput');
    const processor = map.ItemProcessor as { StartAt: string; States: Record<string, { Resource: string }> };
    // The function's ARN as the Resource and no Parameters: the child's input {"Items": [...]} is the event.
    expect(processor.States[processor.StartAt]!.Resource).toBe(`<${chunkFn}.Arn>`);
    expect(processor.States[processor.StartAt]).not.toHaveProperty('Parameters');
    const aggregate = definition.States[map.Next as string]!;
    // The map passes the execution input through (ResultPath null), so the aggregate step gets all of it.
    expect(aggregate).toMatchObject({
      Type: 'Task',
      End: true,
      Parameters: { FunctionName: `<${aggregateFn}.Arn>`, 'Payload.$': '$' },
    });
  });

  it('logs every state machine event and traces executions', () => {
    synth.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: Match.objectLike({ Level: 'ALL' }),
      TracingConfiguration: { Enabled: true },
    });
  });

  it('routes GET /, /health, /openapi.json, /docs, /assets/*, /training-fingerprints and POST /predict, and everything else to the 404/405 catch-all', () => {
    const routes = resourcesOf(synth, 'AWS::ApiGatewayV2::Route');
    const integrationOf = (key: string) =>
      JSON.stringify(routes.find(([, route]) => route.RouteKey === key)?.[1].Target);
    expect(routes.map(([, route]) => route.RouteKey).sort()).toEqual([
      '$default',
      'GET /',
      'GET /assets/{file+}',
      'GET /docs',
      'GET /health',
      'GET /openapi.json',
      'GET /training-fingerprints',
      'POST /predict',
    ]);
    // Exactly the routes of the one list the local server and the welcome read too.
    expect(routes.map(([, route]) => route.RouteKey).filter((key) => key !== '$default')).toEqual(
      expect.arrayContaining(API_ROUTES.flatMap(routeKeysOf)),
    );
    expect(routes).toHaveLength(API_ROUTES.flatMap(routeKeysOf).length + 1);
    expect(integrationOf('$default')).toBe(integrationOf('GET /health'));
    for (const key of ['GET /', 'GET /docs', 'GET /assets/{file+}', 'GET /training-fingerprints'])
      expect(integrationOf(key)).toBe(integrationOf('GET /health'));
    expect(integrationOf('POST /predict')).not.toBe(integrationOf('GET /health'));
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /predict',
      AuthorizationType: 'NONE',
    });
  });

  it('gives the health function the request limits the predict function enforces (for /health, the page and the docs)', () => {
    for (const handler of ['health.handler', 'predict.handler'])
      synth.template.hasResourceProperties(FUNCTION, {
        ImageConfig: { Command: [handler] },
        Environment: {
          Variables: Match.objectLike({ MAX_TEXTS: '64', MAX_TEXT_CHARS: '20000', MAX_BODY_BYTES: '1048576' }),
        },
      });
  });

  it('lets the web page call /predict unsigned by default', () => {
    synth.template.hasResourceProperties(FUNCTION, {
      ImageConfig: { Command: ['health.handler'] },
      Environment: { Variables: Match.objectLike({ API_AUTH: 'none' }) },
    });
    synth.template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 0);
  });

  it('throttles every route on its own and POST /predict lower, and writes JSON access logs to CloudWatch', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 },
      RouteSettings: { 'POST /predict': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
  });

  it('creates the stage after the routes its settings name', () => {
    const stageId = logicalId(synth, 'AWS::ApiGatewayV2::Stage', 'ApiDefaultStage');
    const predictRoute = resourcesOf(synth, 'AWS::ApiGatewayV2::Route').find(
      ([, route]) => route.RouteKey === 'POST /predict',
    )![0];
    expect((synth.json.Resources[stageId] as { DependsOn?: string[] }).DependsOn).toContain(predictRoute);
  });

  it('sends no CORS headers unless origins are configured', () => {
    const [[, api]] = resourcesOf(synth, 'AWS::ApiGatewayV2::Api') as [[string, Record<string, unknown>]];
    expect(api.CorsConfiguration).toBeUndefined();
  });

  it('runs five functions from one image, each with its own handler command and retained logs', () => {
    const functions = resourcesOf(synth, FUNCTION).filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    const images = new Set(functions.map(([, fn]) => JSON.stringify((fn.Code as { ImageUri: unknown }).ImageUri)));
    const commands = functions.map(([, fn]) => (fn.ImageConfig as { Command: string[] }).Command[0]);
    expect(functions).toHaveLength(5);
    expect(images.size).toBe(1);
    expect(commands.sort()).toEqual([
      'aggregate.handler',
      'chunk.handler',
      'evaluate.handler',
      'health.handler',
      'predict.handler',
    ]);
    for (const [, fn] of functions) {
      expect(fn.PackageType).toBe('Image');
      expect(fn.LoggingConfig).toEqual({ LogGroup: { Ref: expect.any(String) } });
    }
    for (const [, group] of resourcesOf(synth, 'AWS::Logs::LogGroup')) expect(group.RetentionInDays).toBe(30);
  });

  it('leaves source maps off, so no function pays for them at cold start', () => {
    const functions = resourcesOf(synth, FUNCTION).filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    expect(functions).toHaveLength(5);
    for (const [, fn] of functions)
      expect((fn.Environment as { Variables: Record<string, unknown> }).Variables).not.toHaveProperty('NODE_OPTIONS');
  });

  it('traces every function with X-Ray', () => {
    const functions = resourcesOf(synth, FUNCTION).filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    for (const [, fn] of functions) expect(fn.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it("sends the logs of CDK's bucket-notification handler to a log group with the stack's retention", () => {
    const handlers = resourcesOf(synth, FUNCTION).filter(([id]) => id.startsWith('BucketNotificationsHandler'));
    expect(handlers).toHaveLength(1);
    const group = (handlers[0]![1].LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect((synth.json.Resources[group]!.Properties as { RetentionInDays: number }).RetentionInDays).toBe(30);
  });

  it('reserves no concurrency, so it deploys on an account with the new-account quota', () => {
    for (const [, fn] of resourcesOf(synth, FUNCTION)) expect(fn.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('passes the fan-out threshold and state machine to evaluate, and the request limits to predict', () => {
    synth.template.hasResourceProperties(FUNCTION, {
      ImageConfig: { Command: ['evaluate.handler'] },
      Environment: {
        Variables: Match.objectLike({
          MODEL_DIR: '/opt/model',
          FANOUT_ROW_THRESHOLD: '20000',
          STATE_MACHINE_ARN: { Ref: Match.anyValue() },
        }),
      },
    });
    synth.template.hasResourceProperties(FUNCTION, {
      ImageConfig: { Command: ['predict.handler'] },
      Environment: {
        Variables: Match.objectLike({ MAX_TEXTS: '64', MAX_TEXT_CHARS: '20000', MAX_BODY_BYTES: '1048576' }),
      },
    });
  });

  const statementsOf = (fn: string): Statement[] => {
    const role = (synth.json.Resources[fn]!.Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role[
      'Fn::GetAtt'
    ][0];
    expect(resourcesOf(synth, 'AWS::IAM::Role').find(([id]) => id === role)?.[1].ManagedPolicyArns).toBeUndefined();
    return resourcesOf(synth, 'AWS::IAM::Policy')
      .filter(([, policy]) => JSON.stringify(policy.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap(([, policy]) => (policy.PolicyDocument as PolicyDocument).Statement);
  };
  const bucketObjects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/${prefix}`]] });
  const listing = (prefix: string) => ({
    Effect: 'Allow',
    Action: 's3:ListBucket',
    Resource: { 'Fn::GetAtt': [bucket, 'Arn'] },
    Condition: { StringLike: { 's3:prefix': [prefix] } },
  });
  const logsAndTraces = (logGroup: RegExp) => [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(logGroup), 'Arn'] },
    },
    { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' },
  ];

  it('lets evaluate read and list incoming/*, write results/*, start the fan-out and consume its queue, nothing more', () => {
    expect(statementsOf(evaluateFn)).toEqual([
      ...logsAndTraces(/^EvaluationEvaluateLogs/),
      { Effect: 'Allow', Action: 's3:GetObject', Resource: bucketObjects('incoming/*') },
      // Replacing an earlier run's results: write and delete, under results/ only.
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject'],
        Resource: bucketObjects('results/*'),
      },
      // The fan-out's manifest.
      { Effect: 'Allow', Action: 's3:PutObject', Resource: bucketObjects('fanout/*') },
      // A deleted upload must answer 404 (a quiet skip), not 403 (retried, dead-lettered).
      listing('incoming/*'),
      {
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: { Ref: expect.stringMatching(/^FanoutStateMachine/) },
      },
      {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:ReceiveMessage',
        ],
        Resource: { 'Fn::GetAtt': [uploads, 'Arn'] },
      },
    ]);
  });

  it('lets chunk read and list incoming/* and write parts under fanout/*, nothing more', () => {
    expect(statementsOf(chunkFn)).toEqual([
      ...logsAndTraces(/^FanoutChunkLogs/),
      { Effect: 'Allow', Action: 's3:GetObject', Resource: bucketObjects('incoming/*') },
      listing('incoming/*'),
      { Effect: 'Allow', Action: ['s3:AbortMultipartUpload', 's3:PutObject'], Resource: bucketObjects('fanout/*') },
    ]);
  });

  it('lets aggregate write results/*, read, mark done, list and delete under fanout/*, and list incoming/*, nothing more', () => {
    expect(statementsOf(aggregateFn)).toEqual([
      ...logsAndTraces(/^FanoutAggregateLogs/),
      {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:DeleteObject', 's3:PutObject'],
        Resource: bucketObjects('results/*'),
      },
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: bucketObjects('fanout/*'),
      },
      // fanout/* for the parts; incoming/* to check, by listing, that a failed run's upload is still current.
      {
        Effect: 'Allow',
        Action: 's3:ListBucket',
        Resource: { 'Fn::GetAtt': [bucket, 'Arn'] },
        Condition: { StringLike: { 's3:prefix': ['fanout/*', 'incoming/*'] } },
      },
    ]);
  });

  it('grants no wildcard action anywhere, and no action on every resource except X-Ray and log delivery', () => {
    const statements = resourcesOf(synth, 'AWS::IAM::Policy').flatMap(
      ([, policy]) => (policy.PolicyDocument as PolicyDocument).Statement,
    );
    const actions = statements.flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action === '*' || action.endsWith(':*'))).toEqual([]);
    const onEverything = statements
      .filter((statement) => statement.Resource === '*')
      .flatMap((statement) => [statement.Action].flat());
    expect(
      onEverything.every((action) =>
        /^(xray:|logs:(Create|Delete|Describe|Get|List|Put|Update)\w*(LogDelivery|LogDeliveries|LogGroups|ResourcePolicy|ResourcePolicies)$)/.test(
          action,
        ),
      ),
    ).toBe(true);
  });

  it("alarms on API 5xx, each function's errors and throttles, dead letters and failed fan-outs", () => {
    const alarms = resourcesOf(synth, 'AWS::CloudWatch::Alarm').map(
      ([, alarm]) => `${String(alarm.Namespace)}/${String(alarm.MetricName)}`,
    );
    expect(alarms.sort()).toEqual(
      [
        'AWS/ApiGateway/5xx',
        ...Array(5).fill('AWS/Lambda/Errors'),
        ...Array(5).fill('AWS/Lambda/Throttles'),
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        'AWS/States/ExecutionsFailed',
        'AWS/States/ExecutionsTimedOut',
      ].sort(),
    );
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetters, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('alarms on chunk throttles only when they last, since the state machine retries them', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: chunkFn } }],
      EvaluationPeriods: SUSTAINED_THROTTLE_PERIODS,
      DatapointsToAlarm: SUSTAINED_THROTTLE_PERIODS,
    });
    expect(SUSTAINED_THROTTLE_PERIODS).toBeGreaterThan(1);
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Throttles',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(synth, FUNCTION, 'ApiPredict') } }],
      EvaluationPeriods: 1,
    });
  });

  it('outputs the API URL and the bucket name', () => {
    synth.template.hasOutput('ApiUrl', { Value: Match.anyValue() });
    synth.template.hasOutput('BucketName', { Value: { Ref: bucket } });
  });
});

describe('the stack with the cost guard on, tracing off and source maps on (as -c strings)', () => {
  let synth: Synthesized;

  beforeAll(async () => {
    synth = await synthesize({ costGuard: 'true', tracing: 'false', sourceMaps: 'true' });
  }, SYNTH_TIMEOUT);
  afterAll(() => synth?.dispose());

  it('caps the concurrency of the functions a flood of requests or uploads would run', () => {
    const reserved = (prefix: string): unknown =>
      (
        synth.json.Resources[logicalId(synth, FUNCTION, prefix)]!.Properties as {
          ReservedConcurrentExecutions?: number;
        }
      ).ReservedConcurrentExecutions;
    expect(reserved('ApiPredict')).toBe(10);
    expect(reserved('EvaluationEvaluate')).toBe(5);
    // As many as one Distributed Map runs at once (MaxConcurrency), so a lone fan-out never throttles itself.
    expect(reserved('FanoutChunk')).toBe(10);
  });

  it('turns source maps on in every function of the image with the one switch', () => {
    const functions = resourcesOf(synth, FUNCTION).filter(([id]) => !id.startsWith('BucketNotificationsHandler'));
    expect(functions).toHaveLength(5);
    for (const [, fn] of functions)
      expect(fn.Environment).toMatchObject({ Variables: { NODE_OPTIONS: '--enable-source-maps' } });
  });

  it('traces no function and grants no X-Ray action to them, and still passes cdk-nag', () => {
    for (const [, fn] of resourcesOf(synth, FUNCTION)) expect(fn.TracingConfig).toBeUndefined();
    const functionPolicies = resourcesOf(synth, 'AWS::IAM::Policy').filter(
      ([id]) => !id.startsWith('FanoutStateMachine'),
    );
    expect(JSON.stringify(functionPolicies)).not.toContain('xray:');
    expect(synth.validationReport.pluginReports).toEqual([]);
  });
});

describe('the stack with IAM on /predict, CORS and a lower fan-out threshold (as -c strings)', () => {
  let synth: Synthesized;

  beforeAll(async () => {
    synth = await synthesize({
      predictRequiresIam: 'true',
      corsOrigins: 'https://a.example.org,https://b.example.org',
      fanoutRowThreshold: '5000',
      predictReservedConcurrency: '0',
    });
  }, SYNTH_TIMEOUT);
  afterAll(() => synth?.dispose());

  it('requires SigV4 on POST /predict only, and still passes cdk-nag', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /predict',
      AuthorizationType: 'AWS_IAM',
    });
    for (const key of ['$default', 'GET /', 'GET /health', 'GET /openapi.json', 'GET /docs', 'GET /assets/{file+}']) {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key, AuthorizationType: 'NONE' });
    }
    expect(synth.validationReport.pluginReports).toEqual([]);
  });

  it('tells the health function, which serves the web page, that /predict needs signed requests', () => {
    synth.template.hasResourceProperties(FUNCTION, {
      ImageConfig: { Command: ['health.handler'] },
      Environment: { Variables: Match.objectLike({ API_AUTH: 'iam' }) },
    });
  });

  it('allows the configured origins, with the SigV4 headers', () => {
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://a.example.org', 'https://b.example.org'],
        AllowHeaders: Match.arrayWith(['authorization', 'x-amz-date', 'x-amz-security-token']),
      }),
    });
  });

  it('passes the threshold to evaluate and leaves predict unreserved', () => {
    synth.template.hasResourceProperties(FUNCTION, {
      ImageConfig: { Command: ['evaluate.handler'] },
      Environment: { Variables: Match.objectLike({ FANOUT_ROW_THRESHOLD: '5000' }) },
    });
    synth.template.hasResourceProperties(FUNCTION, {
      ImageConfig: { Command: ['predict.handler'] },
      ReservedConcurrentExecutions: Match.absent(),
    });
  });
});

/** Route keys of the open routes (every route but the protected ones, and the catch-all). */
const OPEN_ROUTE_KEYS = ['$default', ...API_ROUTES.filter((route) => !route.protected).flatMap(routeKeysOf)];

describe('the stack with auth=jwt for an existing OIDC issuer, data not retained, uploads expiring (as -c strings)', () => {
  let synth: Synthesized;
  const issuer = 'https://login.example.org/tenant/v2.0';

  beforeAll(async () => {
    synth = await synthesize({
      auth: 'jwt',
      jwtIssuer: issuer,
      jwtAudience: 'api://classifier,classifier-web',
      retainData: 'false',
      incomingExpirationDays: '30',
    });
  }, SYNTH_TIMEOUT);
  afterAll(() => synth?.dispose());

  it('puts a JWT authorizer for the issuer and its audiences on POST /predict, and none on /health or the open routes', () => {
    const authorizerId = logicalId(synth, 'AWS::ApiGatewayV2::Authorizer', 'Api');
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: issuer, Audience: ['api://classifier', 'classifier-web'] },
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /predict',
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizerId },
    });
    for (const key of OPEN_ROUTE_KEYS) {
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: key,
        AuthorizationType: 'NONE',
        AuthorizerId: Match.absent(),
      });
    }
    expect(OPEN_ROUTE_KEYS).toContain('GET /health');
  });

  it('tells the health function, which serves the page and the OpenAPI document, that tokens are needed', () => {
    synth.template.hasResourceProperties(FUNCTION, {
      ImageConfig: { Command: ['health.handler'] },
      Environment: { Variables: Match.objectLike({ API_AUTH: 'jwt' }) },
    });
  });

  it('passes cdk-nag with /predict behind the authorizer', () => {
    expect(synth.validationReport.pluginReports).toEqual([]);
  });

  it('expires uploads under incoming/ after the given days', () => {
    const bucket = logicalId(synth, 'AWS::S3::Bucket', 'IngestData');
    synth.template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        LifecycleConfiguration: {
          Rules: Match.arrayWith([Match.objectLike({ Prefix: 'incoming/', ExpirationInDays: 30, Status: 'Enabled' })]),
        },
      }),
    });
    expect(bucket).toBeDefined();
  });

  it('deletes the buckets, their policies and their objects with the stack when data is not retained', () => {
    // No DeletionPolicy: CloudFormation's default, Delete.
    for (const [id] of resourcesOf(synth, 'AWS::S3::BucketPolicy'))
      expect(synth.json.Resources[id]).not.toHaveProperty('DeletionPolicy');
    synth.template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });
});

describe('the stack with auth=jwt and a Cognito user pool of its own', () => {
  let synth: Synthesized;

  beforeAll(async () => {
    synth = await synthesize({ auth: 'jwt', jwtCognito: 'true' });
  }, SYNTH_TIMEOUT);
  afterAll(() => synth?.dispose());

  it("accepts the pool's tokens for its app client on POST /predict only, and outputs the pool and client ids", () => {
    const pool = logicalId(synth, 'AWS::Cognito::UserPool', 'ApiUserPool');
    const client = logicalId(synth, 'AWS::Cognito::UserPoolClient', 'ApiUserPoolApiClient');
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Audience: [{ Ref: client }],
        Issuer: { 'Fn::Join': ['', Match.arrayWith([{ Ref: pool }])] },
      },
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'POST /predict',
      AuthorizationType: 'JWT',
    });
    for (const key of OPEN_ROUTE_KEYS)
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: key, AuthorizationType: 'NONE' });
    synth.template.hasOutput('UserPoolId', { Value: { Ref: pool } });
    synth.template.hasOutput('UserPoolClientId', { Value: { Ref: client } });
  });

  it('lets nobody sign up alone, asks for strong passwords, and keeps the pool with the data', () => {
    synth.template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true }) },
      }),
    });
    synth.template.hasResourceProperties('AWS::Cognito::UserPoolClient', { GenerateSecret: false });
  });

  it('passes cdk-nag', () => {
    expect(synth.validationReport.pluginReports).toEqual([]);
  });
});
