import { defineConfig } from 'vitest/config';

/** `npm run test:image`: the container image test (needs a Docker daemon), kept out of `npm test`. */
export default defineConfig({
  test: {
    include: ['test/image/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 900_000,
    pool: 'forks',
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
