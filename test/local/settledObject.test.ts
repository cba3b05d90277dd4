import { describe, expect, it } from 'vitest';
import { type HeadObject, untilComplete } from '../../scripts/local/settledObject.ts';

/** A HEAD that answers from a script of successive states of the object, repeating the last one. */
function scriptedHead(states: ({ size: number; etag: string } | undefined)[]): HeadObject & { calls: number } {
  const head = Object.assign(
    async () => {
      const state = states[Math.min(head.calls, states.length - 1)];
      head.calls++;
      return state;
    },
    { calls: 0 },
  );
  return head;
}

const upload = { bucket: 'abstracts', key: 'incoming/a.csv', size: 1000, etag: '"new"' };

describe('delivering an upload event only once the object is complete', () => {
  it('waits while the object is shorter than announced or still carries the previous ETag', async () => {
    const head = scriptedHead([
      { size: 0, etag: '"new"' },
      { size: 400, etag: '"old"' },
      { size: 1000, etag: '"new"' },
    ]);
    expect(await untilComplete(head, upload, { delayMs: 0 })).toBe(true);
    expect(head.calls).toBe(3);
  });

  it('gives up after the bounded number of checks, leaving the decision to the evaluation', async () => {
    const head = scriptedHead([{ size: 400, etag: '"new"' }]);
    expect(await untilComplete(head, upload, { attempts: 5, delayMs: 0 })).toBe(false);
    expect(head.calls).toBe(5);
  });

  it('stops waiting when the object is gone', async () => {
    const head = scriptedHead([undefined]);
    expect(await untilComplete(head, upload, { delayMs: 0 })).toBe(false);
    expect(head.calls).toBe(1);
  });
});
