import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface AlarmsProps {
  readonly api: IHttpApi;
  /** By the name the alarm carries (Predict, Evaluate, ...). */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly deadLetterQueue: IQueue;
  readonly stateMachine: IStateMachine;
  /** Existing SNS topic to notify; without it the alarms only change state in the console. */
  readonly topicArn?: string | undefined;
}

const PERIOD = Duration.minutes(5);

/**
 * Alarms on what means "a user did not get an answer": API 5xx, function errors and throttles, a file stuck
 * in the dead-letter queue, a fan-out that failed or timed out. Each fires on the first occurrence: the
 * expected rate of all of them is zero.
 */
export class Alarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const action = props.topicArn !== undefined ? new SnsAction(Topic.fromTopicArn(this, 'Topic', props.topicArn)) : undefined;
    const alarm = (alarmId: string, description: string, metric: IMetric): void => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        // No traffic is not a failure.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (action !== undefined) {
        created.addAlarmAction(action);
        created.addOkAction(action);
      }
      this.alarms.push(created);
    };

    alarm('Api5xx', 'The HTTP API answered 5xx', props.api.metricServerError({ period: PERIOD, statistic: 'Sum' }));
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, `The ${name} function failed`, fn.metricErrors({ period: PERIOD, statistic: 'Sum' }));
      alarm(`${name}Throttles`, `The ${name} function was throttled`, fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }));
    }
    alarm(
      'DeadLetters',
      'A CSV upload failed three times and is in the dead-letter queue',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
    );
    alarm('FanoutFailed', 'A fan-out execution failed', props.stateMachine.metricFailed({ period: PERIOD, statistic: 'Sum' }));
    alarm('FanoutTimedOut', 'A fan-out execution timed out', props.stateMachine.metricTimedOut({ period: PERIOD, statistic: 'Sum' }));
  }
}
