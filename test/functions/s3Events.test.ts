import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeEventKey, encodeEventKey, isIncomingCsv, resultPrefixFor } from '#adapters/evaluation/keys.ts';
import { parseEvaluateEvent } from '#adapters/evaluation/s3Events.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../events/${name}`, import.meta.url), 'utf8'));

describe('S3 event keys', () => {
  it('decodes keys the way S3 encodes them: + is a space, %xx escapes, %2B a literal plus', () => {
    expect(decodeEventKey('incoming/batch+one/r%C3%A9sum%C3%A9%202026+%2B+notes.csv')).toBe(
      'incoming/batch one/résumé 2026 + notes.csv',
    );
  });

  it('encodes what it decodes (the local bridge uses this)', () => {
    const key = 'incoming/a b/ünï + cödé (1).csv';
    expect(decodeEventKey(encodeEventKey(key))).toBe(key);
    expect(encodeEventKey('incoming/a b.csv')).toBe('incoming/a+b.csv');
  });

  it('maps incoming/<path>.csv to results/<path>/ and ignores everything else', () => {
    expect(resultPrefixFor('incoming/a/b c.csv')).toBe('results/a/b c/');
    expect(isIncomingCsv('incoming/x.CSV')).toBe(true);
    expect(isIncomingCsv('results/x.csv')).toBe(false);
    expect(isIncomingCsv('incoming/x.txt')).toBe(false);
    expect(isIncomingCsv('incoming/.csv')).toBe(false);
  });
});

describe('events that trigger the evaluate function', () => {
  // The upload as the event announces it, ETag quoted as S3 returns it in responses (the evaluation compares them).
  const announced = { size: 1024, etag: '"d41d8cd98f00b204e9800998ecf8427e"' };

  it('reads a direct S3 notification and decodes its key', () => {
    expect(parseEvaluateEvent(fixture('s3/object-created-put.json'))).toEqual({
      kind: 's3',
      objects: [
        {
          bucket: 'abstracts',
          key: 'incoming/batch one/résumé 2026 + notes.csv',
          version: '0055AED6DCD90281E5',
          ...announced,
        },
      ],
    });
  });

  it('reads S3 notifications wrapped in SQS messages and skips S3 test events', () => {
    const parsed = parseEvaluateEvent(fixture('sqs/s3-notifications.json'));
    expect(parsed).toEqual({
      kind: 'sqs',
      messages: [
        {
          messageId: '19dd0b57-b21e-4ac1-bd88-01bbb068cb78',
          objects: [
            {
              bucket: 'abstracts',
              key: 'incoming/batch one/résumé 2026 + notes.csv',
              version: '0055AED6DCD90281E5',
              ...announced,
            },
          ],
        },
        { messageId: '2e1424d4-f796-459a-8184-9c92662be6da', objects: [] },
      ],
    });
  });

  it('marks an SQS message whose body is not an S3 event as unreadable instead of dropping it', () => {
    const event = fixture('sqs/s3-notifications.json') as { Records: { body: string }[] };
    event.Records[0]!.body = '{"hello": "world"}';
    const parsed = parseEvaluateEvent(event);
    expect(parsed.kind === 'sqs' && parsed.messages[0]!.objects).toBeUndefined();
  });

  it('rejects an event of another kind', () => {
    expect(() => parseEvaluateEvent({ foo: 1 })).toThrow(/unsupported event/);
  });
});
