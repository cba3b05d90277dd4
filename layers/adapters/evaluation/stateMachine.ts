import { createHash } from 'node:crypto';
import { ExecutionAlreadyExists, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { FanoutInput } from './fanoutContracts.ts';

/**
 * Starts the fan-out state machine. The execution name is derived from the input, whose parts folder is named
 * from the object's ETag and the event's version token: a redelivered event maps to the same execution instead
 * of starting a second one, while every new upload of the key (even of identical bytes) gets its own.
 */
export function stateMachineStarter(sfn: SFNClient, stateMachineArn: string): (input: FanoutInput) => Promise<void> {
  return async (input) => {
    const name = `eval-${createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 40)}`;
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
    } catch (error) {
      // Same name and same input: the execution already runs or ran; nothing to do.
      if (error instanceof ExecutionAlreadyExists || (error as { name?: string }).name === 'ExecutionAlreadyExists')
        return;
      throw error;
    }
  };
}
