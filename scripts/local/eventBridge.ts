import { appendFileSync } from 'node:fs';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventJournal, JournalledEvent } from './eventJournal.ts';

/**
 * The local stand-in for S3 notifications → SQS → the evaluate function, with the guarantees the deployed path has:
 *
 * - **At least once.** Every announced upload is journalled before anything else happens (eventJournal.ts) and stays
 *   there until its delivery ends; a failed delivery is retried after a growing delay, and after `maxReceives`
 *   receives it is dead-lettered (written to the dead-letter file and logged), as the deployed queue does after 3.
 * - **The last upload wins, at once.** An event whose key has a newer event is dropped as superseded when its turn
 *   comes, without touching S3 (the newer event evaluates the object); the evaluation itself checks the ETag too.
 * - **One consumer, in order**: events are delivered one at a time, oldest first (an event waiting for its retry
 *   lets the next ones through).
 */

/** Evaluates one event; throws when the delivery failed and should be retried. */
export type Deliver = (event: unknown) => Promise<void>;

export interface EventBridgeOptions {
  journal: EventJournal;
  deliver: Deliver;
  logger: Logger;
  /** Receives before an event is dead-lettered (the deployed queue's maxReceiveCount). */
  maxReceives?: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  retryDelayMs?: number;
  /** Where dead-lettered events are appended (JSON lines). */
  deadLetterFile: string;
}

export class EventBridge {
  /** Errors of failed deliveries, oldest first (each attempt). */
  readonly failures: unknown[] = [];
  readonly #options: Required<EventBridgeOptions>;
  /** The newest event of each object, by `bucket/key`. */
  readonly #latest = new Map<string, number>();
  readonly #notBefore = new Map<number, number>();
  #idleWaiters: (() => void)[] = [];
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(options: EventBridgeOptions) {
    this.#options = { maxReceives: 3, retryDelayMs: 1_000, ...options };
    for (const entry of options.journal.pending()) this.#latest.set(objectOf(entry), entry.id);
  }

  /** Delivers the events an earlier run left undelivered, then each new one as it is announced. */
  start(): void {
    this.#pump();
  }

  announce(bucket: string, key: string, event: unknown): void {
    const entry = this.#options.journal.add(bucket, key, event);
    this.#latest.set(objectOf(entry), entry.id);
    this.#pump();
  }

  /** Resolves once every event announced so far has an outcome (evaluated, superseded or dead-lettered). */
  idle(): Promise<void> {
    if (!this.#running && this.#options.journal.pending().length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops delivering; an event in flight stays in the journal (delivered again at the next start) unless it ends. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #pump(): void {
    if (this.#stopped || this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#stopped) return;
      if (this.#options.journal.pending().length === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
      else this.#schedule();
    });
  }

  /** Wakes the pump when the earliest retry is due. */
  #schedule(): void {
    clearTimeout(this.#timer);
    const due = Math.min(...this.#options.journal.pending().map((entry) => this.#notBefore.get(entry.id) ?? 0));
    this.#timer = setTimeout(() => this.#pump(), Math.max(0, due - Date.now()));
  }

  async #drain(): Promise<void> {
    const { journal, logger } = this.#options;
    for (;;) {
      if (this.#stopped) return;
      const now = Date.now();
      const entry = journal.pending().find((e) => (this.#notBefore.get(e.id) ?? 0) <= now);
      if (!entry) return;
      if (this.#latest.get(objectOf(entry))! > entry.id) {
        logger.info('upload event superseded by a newer upload of the same key; dropped', {
          bucket: entry.bucket,
          key: entry.key,
        });
        journal.done(entry, 'superseded');
        continue;
      }
      journal.received(entry);
      try {
        await this.#options.deliver(entry.event);
      } catch (error) {
        if (this.#stopped) return; // ended by stop(): the journal delivers it again at the next start
        this.#failed(entry, error);
        continue;
      }
      journal.done(entry, 'evaluated');
      this.#notBefore.delete(entry.id);
    }
  }

  #failed(entry: JournalledEvent, error: unknown): void {
    const { journal, logger, maxReceives, retryDelayMs, deadLetterFile } = this.#options;
    this.failures.push(error);
    if (entry.receives >= maxReceives) {
      logger.error('upload event failed on every receive; dead-lettered', {
        bucket: entry.bucket,
        key: entry.key,
        receives: entry.receives,
        deadLetterFile,
        error: error as Error,
      });
      appendFileSync(
        deadLetterFile,
        `${JSON.stringify({ event: entry.event, receives: entry.receives, error: describe(error), at: new Date().toISOString() })}\n`,
      );
      journal.done(entry, 'dead-letter');
      this.#notBefore.delete(entry.id);
      return;
    }
    const delay = retryDelayMs * 2 ** (entry.receives - 1);
    logger.warn('upload event failed; it will be delivered again', {
      bucket: entry.bucket,
      key: entry.key,
      receives: entry.receives,
      retryInMs: delay,
      error: error as Error,
    });
    this.#notBefore.set(entry.id, Date.now() + delay);
  }
}

const objectOf = (entry: JournalledEvent): string => `${entry.bucket}/${entry.key}`;

const describe = (error: unknown): { name?: string; message: string } =>
  error instanceof Error ? { name: error.name, message: error.message } : { message: String(error) };
