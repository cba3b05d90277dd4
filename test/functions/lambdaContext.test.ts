import type { Context } from 'aws-lambda';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sqsBatchOf } from '../support/events.ts';

type Invoke = (event: unknown, context?: Partial<Context>) => Promise<unknown>;

const lambdaContext = (awsRequestId: string): Partial<Context> => ({
  awsRequestId,
  functionName: 'ClinicalAbstractClassifier-Evaluate',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ClinicalAbstractClassifier-Evaluate',
  memoryLimitInMB: '2048',
});

// A message the handler cannot read: it logs an error and touches no bucket, so no S3 server is needed.
const unreadableBatch = () => {
  const batch = sqsBatchOf({});
  batch.Records[0]!.body = 'not an S3 event';
  return batch;
};

/** The JSON log lines the handler writes (errors go to stderr) while `act` runs. */
async function logsOf(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  const writes = [
    vi.spyOn(process.stdout, 'write').mockImplementation(capture),
    vi.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  try {
    await act();
  } finally {
    for (const write of writes) write.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let handler: Invoke;
beforeAll(async () => {
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('LOG_LEVEL', 'INFO');
  // Lambda sets this for on-demand containers; Powertools reports a cold start only then.
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  // The composition root as Lambda loads it: module scope runs once per container.
  ({ handler } = (await import('../../functions/evaluate/handler.ts')) as { handler: Invoke });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('evaluate function logs', () => {
  it("carry the Lambda context: cold start, function name and version, and the invocation's request id", async () => {
    const first = await logsOf(() => handler(unreadableBatch(), lambdaContext('req-1')));
    const second = await logsOf(() => handler(unreadableBatch(), lambdaContext('req-2')));

    expect(first[0]).toMatchObject({
      cold_start: true,
      function_name: 'ClinicalAbstractClassifier-Evaluate',
      function_version: '$LATEST',
      function_request_id: 'req-1',
    });
    expect(second[0]).toMatchObject({ cold_start: false, function_request_id: 'req-2' });
  });

  it('keep no key of an earlier invocation, when the next caller gives no Lambda context (the local stack)', async () => {
    await logsOf(() => handler(unreadableBatch(), lambdaContext('req-3')));
    const [line] = await logsOf(() => handler(unreadableBatch()));

    expect(line).toBeDefined();
    expect(JSON.stringify(line)).not.toContain('req-3');
  });
});
