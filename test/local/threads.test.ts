import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FIELD_CHARS } from '#core/csv/csvHeader.ts';
import { longAbstract } from '../../scripts/fixtures/bertTexts.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { EVENT_JOURNAL } from '../../scripts/local/localStack.ts';
import { startTestStack } from '../support/localStack.ts';

/**
 * The local stack runs POST /predict and the upload events in worker threads, as they run in functions of their own
 * on AWS: the API thread answers while they work. These tests check the order of answers, not their timing.
 */
let stack: Awaited<ReturnType<typeof startTestStack>>;
beforeAll(async () => {
  stack = await startTestStack();
  await stack.ready();
});
afterAll(async () => stack?.stop());

const post = (body: unknown) =>
  fetch(`${stack.apiUrl}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const journal = (): Promise<string> => readFile(join(stack.dataDir, EVENT_JOURNAL), 'utf8');

describe('work off the API thread', () => {
  it('answers /health while a long /predict request is being computed', async () => {
    // About as much work as one valid request can ask for: 48 texts of 20,000 characters with evidence.
    const texts = Array.from({ length: 48 }, (_, i) => longAbstract(4_000, i).slice(0, 20_000));
    const finished: string[] = [];
    const heavy = post({ texts, explain: true, explain_top: 33 }).then(async (res) => {
      finished.push('predict');
      return res.status;
    });
    await sleep(200); // the request is in the predict worker by now
    const health = await fetch(`${stack.apiUrl}/health`);
    finished.push('health');

    expect(health.status).toBe(200);
    expect(await heavy).toBe(200);
    expect(finished).toEqual(['health', 'predict']);
  });

  it('answers /predict while a large upload is being evaluated', async () => {
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: 'incoming/large.csv',
        Body: syntheticCsv({ rows: 30_000, seed: 5 }),
      }),
    );
    for (let waited = 0; !(await journal()).includes('{"receive":'); waited += 50) {
      if (waited > 30_000) throw new Error('the upload event was never delivered');
      await sleep(50);
    }

    const res = await post({ texts: ['Patient presents with chest pain and elevated troponin levels.'] });
    const evaluationDoneWhenAnswered = (await journal()).includes('"outcome":"evaluated"');

    expect(res.status).toBe(200);
    expect(evaluationDoneWhenAnswered).toBe(false);
    await stack.idle();
  });

  it(`refuses a CSV field of 3.85 MB (over ${MAX_FIELD_CHARS} characters) with error.json naming its line and column`, async () => {
    const field = longAbstract(600_000, 1).slice(0, 3_850_000);
    await stack.s3.send(
      new PutObjectCommand({
        Bucket: stack.bucket,
        Key: 'incoming/huge-field.csv',
        Body: `title,abstract\nfine,heart failure\nhuge,"${field}"\n`,
      }),
    );
    await stack.idle();

    const object = await stack.s3.send(
      new GetObjectCommand({ Bucket: stack.bucket, Key: 'results/huge-field/error.json' }),
    );
    const { error } = JSON.parse(await object.Body!.transformToString()) as {
      error: { code: string; details: { line: number; column: number; field: string }[] };
    };
    expect(error.code).toBe('invalid_rows');
    expect(error.details).toEqual([expect.objectContaining({ line: 3, column: 2, field: 'abstract' })]);
  });
});
