import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/**
 * The local event bridge's memory of upload events, on disk (a JSON-lines file under DATA_DIR), so that an event is
 * never lost by a restart or a `kill -9`: each event is written when S3 (s3rver) announces it, each delivery attempt
 * before it starts, and its outcome when it ends. An event without an outcome is delivered again at the next start
 * (at least once, as SQS delivers). Lines are appended synchronously, so a killed process loses at most the line
 * being written; the journal is compacted to the pending events when it is opened.
 */

export interface JournalledEvent {
  readonly id: number;
  readonly bucket: string;
  /** The object key, decoded. */
  readonly key: string;
  /** The event as the evaluate handler receives it (S3's notification, keys URL-encoded). */
  readonly event: unknown;
  /** Delivery attempts so far, including one a killed process never finished. */
  receives: number;
}

export type Outcome = 'evaluated' | 'superseded' | 'dead-letter';

type Line =
  | { add: { id: number; bucket: string; key: string; event: unknown } }
  | { receive: number }
  | { done: number; outcome: Outcome };

export class EventJournal {
  readonly #file: string;
  readonly #pending = new Map<number, JournalledEvent>();
  #nextId = 1;

  private constructor(file: string) {
    this.#file = file;
  }

  /** Opens (or creates) the journal at `file` and keeps only the events that have no outcome yet. */
  static open(file: string): EventJournal {
    const journal = new EventJournal(file);
    if (existsSync(file)) {
      for (const text of readFileSync(file, 'utf8').split('\n')) {
        if (text.trim() === '') continue;
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          continue; // the line a killed process was writing
        }
        journal.#replay(line);
      }
    }
    journal.#compact();
    return journal;
  }

  /** Events without an outcome, oldest first. */
  pending(): JournalledEvent[] {
    return [...this.#pending.values()];
  }

  add(bucket: string, key: string, event: unknown): JournalledEvent {
    const entry: JournalledEvent = { id: this.#nextId++, bucket, key, event, receives: 0 };
    this.#append({ add: { id: entry.id, bucket, key, event } });
    this.#pending.set(entry.id, entry);
    return entry;
  }

  /** Records a delivery attempt before it starts. */
  received(entry: JournalledEvent): void {
    this.#append({ receive: entry.id });
    entry.receives++;
  }

  done(entry: JournalledEvent, outcome: Outcome): void {
    this.#append({ done: entry.id, outcome });
    this.#pending.delete(entry.id);
  }

  #replay(line: Line): void {
    if ('add' in line) {
      const { id, bucket, key, event } = line.add;
      this.#pending.set(id, { id, bucket, key, event, receives: 0 });
      this.#nextId = Math.max(this.#nextId, id + 1);
    } else if ('receive' in line) {
      const entry = this.#pending.get(line.receive);
      if (entry) entry.receives++;
    } else if ('done' in line) {
      this.#pending.delete(line.done);
    }
  }

  /** Rewrites the journal with the pending events only (written aside, then renamed over it). */
  #compact(): void {
    const lines = this.pending().flatMap((entry) => [
      JSON.stringify({ add: { id: entry.id, bucket: entry.bucket, key: entry.key, event: entry.event } }),
      ...Array.from({ length: entry.receives }, () => JSON.stringify({ receive: entry.id })),
    ]);
    writeFileSync(`${this.#file}.compact`, lines.map((line) => `${line}\n`).join(''));
    renameSync(`${this.#file}.compact`, this.#file);
  }

  #append(line: Line): void {
    appendFileSync(this.#file, `${JSON.stringify(line)}\n`);
  }
}
