import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
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
 * Throttles of the chunk function are retried by the state machine until they succeed (infra/throttleRetry.ts):
 * one is a queue forming, not a failure. Throttling in every period for this long is what needs a person.
 */
export const SUSTAINED_THROTTLE_PERIODS = 3;
const RETRIED_ON_THROTTLE = new Set(['Chunk']);

/**
 * Alarms on what means "a user did not get an answer": API 5xx, function errors and throttles, a file stuck
 * in the dead-letter queue, a fan-out that failed or timed out. Each fires on the first occurrence (their
 * expected rate is zero), except throttles of a function whose caller retries them, which fire when sustained.
 */
export class Alarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const action =
      props.topicArn !== undefined ? new SnsAction(Topic.fromTopicArn(this, 'Topic', props.topicArn)) : undefined;
    const alarm = (alarmId: string, description: string, metric: IMetric, periods = 1): void => {
      const created = new Alarm(this, alarmId, {
        alarmDescription: description,
        metric,
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
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
      if (RETRIED_ON_THROTTLE.has(name)) {
        const minutes = SUSTAINED_THROTTLE_PERIODS * PERIOD.toMinutes();
        alarm(
          `${name}Throttles`,
          `The ${name} function was throttled in every 5 minutes for ${minutes} minutes`,
          fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
          SUSTAINED_THROTTLE_PERIODS,
        );
      } else {
        alarm(
          `${name}Throttles`,
          `The ${name} function was throttled`,
          fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        );
      }
    }
    alarm(
      'DeadLetters',
      'A CSV upload failed three times and is in the dead-letter queue',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum' }),
    );
    alarm(
      'FanoutFailed',
      'A fan-out execution failed',
      props.stateMachine.metricFailed({ period: PERIOD, statistic: 'Sum' }),
    );
    alarm(
      'FanoutTimedOut',
      'A fan-out execution timed out',
      props.stateMachine.metricTimedOut({ period: PERIOD, statistic: 'Sum' }),
    );
  }
}
