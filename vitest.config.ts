import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The container image test needs a Docker daemon: `npm run test:image` (vitest.image.config.ts).
    exclude: ['test/image/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single worker on the 2-core machines we test on, where
    // most test files wait on a browser, a server or a child process rather than compute. One per core: the suite
    // takes about 3.5 min here instead of 5–6.
    maxWorkers: availableParallelism(),
    // The SDK warns on Node 20 (Lambda runs 22/24); the warning is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
