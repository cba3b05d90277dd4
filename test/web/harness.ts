import { afterAll, beforeAll } from 'vitest';
import type { LocalStackOptions } from '../../scripts/local/localStack.ts';
import { startTestStack } from '../support/localStack.ts';
import { type Browser, launchChromium } from './browser.ts';

export interface StackAndBrowser {
  readonly stack: Awaited<ReturnType<typeof startTestStack>>;
  readonly browser: Browser;
}

/**
 * A local stack on random ports and one Chromium for the tests of a file (or a describe block): started before
 * them, stopped after them. The fields are filled in by `beforeAll`; read them inside tests only.
 */
export function stackAndBrowser(options: Partial<LocalStackOptions> = {}): StackAndBrowser {
  const harness = {} as { stack: StackAndBrowser['stack']; browser: Browser };
  beforeAll(async () => {
    harness.stack = await startTestStack(options);
    harness.browser = await launchChromium();
  });
  afterAll(async () => {
    await harness.browser?.close();
    await harness.stack?.stop();
  });
  return harness;
}
