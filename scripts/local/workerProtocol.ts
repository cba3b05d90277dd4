import { Worker } from 'node:worker_threads';
import type { ApiLimits } from '#adapters/config.ts';
import type { FormulaCells } from '#core/csv/predictionsCsv.ts';
import type { ModelManifest } from '#core/manifest.ts';
import type { EvidenceOptions } from '#core/pipeline/evaluateCsv.ts';

/** s3rver accepts any credentials; these are the ones the README's examples use. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** What a handler worker needs to build its handler (structured-clonable: it crosses the thread boundary). */
export interface HandlerSetup {
  role: 'predict' | 'evaluate';
  modelDir: string | undefined;
  logLevel: string;
  limits: ApiLimits;
  s3Endpoint: string;
  evidence: EvidenceOptions;
  formulas?: FormulaCells;
  fanoutRowThreshold?: number;
  rowsPerItem?: number;
}

/** An error as it crosses the thread boundary (the worker's classes do not). */
export interface ErrorDescription {
  name: string;
  message: string;
  code?: string;
}

export function describeError(error: unknown): ErrorDescription {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

const asError = ({ name, message, code }: ErrorDescription): Error =>
  Object.assign(new Error(message), { name, ...(code ? { code } : {}) });

type Reply =
  | { type: 'ready'; manifest: ModelManifest }
  | { type: 'failed'; error: ErrorDescription }
  | { type: 'fanout' }
  | { id: number; result: unknown }
  | { id: number; error: ErrorDescription };

// A plain-JavaScript entry that registers tsx in the worker, then imports handlerWorker.ts.
const WORKER = new URL('./handlerWorker.mjs', import.meta.url);

/**
 * The API thread's side of a handler worker: calls are answered in any order, matched by id. A worker that dies (a
 * crash, running out of memory) fails its calls in flight, and the next call starts a new one.
 */
export class HandlerThread {
  readonly #setup: HandlerSetup;
  readonly #onFanout: () => void;
  readonly #calls = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #worker: Worker | undefined;
  #ready: Promise<ModelManifest> | undefined;
  #nextId = 1;
  #stopping = false;

  constructor(setup: HandlerSetup, onFanout: () => void = () => undefined) {
    this.#setup = setup;
    this.#onFanout = onFanout;
  }

  /** Resolves with the model's manifest once the worker has loaded it; rejects when it cannot. */
  ready(): Promise<ModelManifest> {
    this.#start();
    return this.#ready!;
  }

  call(event: unknown, requestId: string): Promise<unknown> {
    const worker = this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      worker.postMessage({ id, event, requestId });
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#worker?.terminate();
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER, { workerData: this.#setup });
    this.#worker = worker;
    let settle!: { resolve: (manifest: ModelManifest) => void; reject: (error: Error) => void };
    this.#ready = new Promise<ModelManifest>((resolve, reject) => {
      settle = { resolve, reject };
    });
    this.#ready.catch(() => undefined); // a caller that never asks must not see an unhandled rejection
    worker.on('message', (reply: Reply) => {
      if ('type' in reply) {
        if (reply.type === 'ready') settle.resolve(reply.manifest);
        else if (reply.type === 'failed') settle.reject(asError(reply.error));
        else this.#onFanout();
        return;
      }
      const call = this.#calls.get(reply.id);
      this.#calls.delete(reply.id);
      if ('error' in reply) call?.reject(asError(reply.error));
      else call?.resolve(reply.result);
    });
    const ended = (error: Error) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      settle.reject(error);
      for (const call of this.#calls.values()) call.reject(error);
      this.#calls.clear();
    };
    worker.on('error', (error) => ended(error));
    worker.on('exit', (code) =>
      ended(
        new Error(
          this.#stopping
            ? `the local ${this.#setup.role} worker was stopped`
            : `the local ${this.#setup.role} worker exited (code ${code})`,
        ),
      ),
    );
    return worker;
  }
}
