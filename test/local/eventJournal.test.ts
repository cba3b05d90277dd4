import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventJournal } from '../../scripts/local/eventJournal.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cac-journal-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('the upload event journal', () => {
  it('gives back, after a restart, the events without an outcome with their receives, ignoring a half-written line', async () => {
    const file = join(dir, 'a.jsonl');
    const journal = EventJournal.open(file);
    const first = journal.add('abstracts', 'incoming/a.csv', { Records: ['a'] });
    const second = journal.add('abstracts', 'incoming/b.csv', { Records: ['b'] });
    journal.received(first);
    journal.received(second);
    journal.done(first, 'evaluated');
    // A process killed while writing a line leaves part of it.
    await writeFile(file, `${await readFile(file, 'utf8')}{"receive":`);

    const reopened = EventJournal.open(file);

    expect(reopened.pending()).toEqual([
      { id: second.id, bucket: 'abstracts', key: 'incoming/b.csv', event: { Records: ['b'] }, receives: 1 },
    ]);
    expect(reopened.add('abstracts', 'incoming/c.csv', {}).id).toBe(second.id + 1);
  });

  it('is compacted to its pending events when opened', async () => {
    const file = join(dir, 'b.jsonl');
    const journal = EventJournal.open(file);
    for (let i = 0; i < 50; i++) journal.done(journal.add('abstracts', `incoming/${i}.csv`, {}), 'superseded');
    journal.add('abstracts', 'incoming/last.csv', {});

    EventJournal.open(file);

    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
  });
});
