import { CfnOutput, CfnResource, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ClassifierConfig } from './config.ts';
import { Alarms } from './constructs/alarms.ts';
import { Api } from './constructs/api.ts';
import { Evaluation } from './constructs/evaluation.ts';
import { Fanout } from './constructs/fanout.ts';
import type { ClassifierImage } from './constructs/imageFunction.ts';
import { Ingest } from './constructs/ingest.ts';

export interface ClassifierStackProps extends StackProps {
  readonly config: ClassifierConfig;
  /** Docker build context written by `prepareImageContext` (scripts/prepare-image.ts). */
  readonly imageContextDir: string;
}

/** The whole service in one stack; each concern is a construct of its own. */
export class ClassifierStack extends Stack {
  readonly api: Api;
  readonly ingest: Ingest;
  readonly fanout: Fanout;
  readonly evaluation: Evaluation;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: ClassifierStackProps) {
    super(scope, id, props);
    const { config } = props;
    const image: ClassifierImage = { contextDir: props.imageContextDir, config };

    this.api = new Api(this, 'Api', { image, retainData: config.retainData });
    this.ingest = new Ingest(this, 'Ingest', {
      consumerTimeout: Duration.seconds(config.timeoutSeconds.evaluate),
      resultsExpirationDays: config.resultsExpirationDays,
      incomingExpirationDays: config.incomingExpirationDays,
      retainData: config.retainData,
    });
    this.fanout = new Fanout(this, 'Fanout', { image, bucket: this.ingest.bucket });
    this.evaluation = new Evaluation(this, 'Evaluation', {
      image,
      bucket: this.ingest.bucket,
      queue: this.ingest.queue,
      fanout: this.fanout.stateMachine,
    });
    this.alarms = new Alarms(this, 'Alarms', {
      api: this.api.httpApi,
      functions: {
        Predict: this.api.predict.function,
        Health: this.api.health.function,
        Evaluate: this.evaluation.evaluate.function,
        Chunk: this.fanout.chunk.function,
        Aggregate: this.fanout.aggregate.function,
      },
      deadLetterQueue: this.ingest.deadLetterQueue,
      stateMachine: this.fanout.stateMachine,
      topicArn: config.alarmTopicArn,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'BucketName', {
      value: this.ingest.bucket.bucketName,
      description: 'Upload CSVs to incoming/, read results/',
    });
    new CfnOutput(this, 'FanoutStateMachineArn', { value: this.fanout.stateMachine.stateMachineArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.ingest.deadLetterQueue.queueUrl });

    this.configureFrameworkResources(config);
  }

  /**
   * Resources CDK itself adds (the bucket-notification custom resource handler), whose code and policies we do
   * not control: its logs go to a log group of ours with the stack's retention (Lambda would otherwise create
   * one that keeps them forever), and the cdk-nag findings about its role are acknowledged.
   */
  private configureFrameworkResources(config: ClassifierConfig): void {
    for (const child of this.node.children) {
      if (child.node.id.startsWith('BucketNotificationsHandler')) {
        const handler = child.node.defaultChild;
        if (!(handler instanceof CfnResource) || handler.cfnResourceType !== 'AWS::Lambda::Function') {
          throw new Error(`${child.node.path}: CDK changed how it builds the bucket-notification handler`);
        }
        const logGroup = new LogGroup(this, 'BucketNotificationsLogs', {
          retention: config.logRetentionDays as RetentionDays,
          removalPolicy: RemovalPolicy.DESTROY,
        });
        handler.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
        handler.node.addDependency(logGroup);
        Validations.of(child).acknowledge({
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            "CDK's own bucket-notification custom resource (runs at deploy time only) logs with the basic execution role; its S3 permission is scoped to the data bucket.",
        });
      }
    }
  }
}
