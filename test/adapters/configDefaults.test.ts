import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig } from '#adapters/config.ts';
import { DEV_SERVER_DEFAULTS, loadDevServerConfig } from '#adapters/devServerConfig.ts';
import { readConfig } from '../../infra/config.ts';
import { startTestStack } from '../support/localStack.ts';

/** Each default is defined once (layers/adapters/config.ts) and read by the functions, the CDK app and npm start. */
const noContext = { tryGetContext: (): unknown => undefined, getAllContext: () => ({}) };

describe('config defaults have one source', () => {
  it('a deployment without context gets the functions’ own defaults', () => {
    const functions = loadConfig({});
    const deployment = readConfig(noContext);

    expect(deployment.limits).toEqual(functions.limits);
    expect(deployment.limits).toEqual(DEFAULTS.limits);
    expect(deployment.fanoutRowThreshold).toBe(functions.fanout.rowThreshold);
    expect(deployment.logLevel).toBe(functions.logLevel);
    expect(deployment.auth).toBe(functions.auth);
  });

  it('npm start and a local stack started without options use the same bucket', async () => {
    const stack = await startTestStack({ bucket: undefined });
    try {
      expect(stack.bucket).toBe(DEV_SERVER_DEFAULTS.bucket);
      expect(loadDevServerConfig({}).bucket).toBe(DEV_SERVER_DEFAULTS.bucket);
    } finally {
      await stack.stop();
    }
  });
});
