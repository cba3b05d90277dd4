import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../scripts/local/localStack.ts';

/**
 * Starts the real local stack on random free loopback ports with a throwaway data folder. Failed upload events are
 * retried after 50 ms instead of 1 s, so tests that see a failure and its retries stay short.
 */
export async function startTestStack(
  options: Partial<LocalStackOptions> = {},
): Promise<LocalStack & { dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cac-s3-'));
  const stack = await startLocalStack({
    port: 0,
    s3Port: 0,
    dataDir,
    logLevel: 'SILENT',
    eventRetryDelayMs: 50,
    ...options,
  });
  const stopStack = stack.stop.bind(stack);
  // Mutated rather than spread so that live getters (fanouts) keep working.
  return Object.assign(stack, {
    dataDir,
    async stop() {
      await stopStack();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}
