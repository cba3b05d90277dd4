import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDevServerConfig } from '#adapters/devServerConfig.ts';
import { ConfigError } from '#core/errors.ts';

describe('npm start configuration', () => {
  it('defaults to ports 8000 and 4568, bucket abstracts, data in .local/s3 and no local fan-out', () => {
    const config = loadDevServerConfig({});

    expect(config).toMatchObject({
      port: 8000,
      s3Port: 4568,
      bucket: 'abstracts',
      dataDir: resolve('.local/s3'),
      fanoutRowThreshold: undefined,
    });
  });

  it('reads PORT, S3_PORT, BUCKET, DATA_DIR and FANOUT_ROW_THRESHOLD', () => {
    const config = loadDevServerConfig({
      PORT: '0',
      S3_PORT: '9000',
      BUCKET: 'mine',
      DATA_DIR: '/tmp/s3',
      FANOUT_ROW_THRESHOLD: '500',
    });

    expect(config).toMatchObject({
      port: 0,
      s3Port: 9000,
      bucket: 'mine',
      dataDir: '/tmp/s3',
      fanoutRowThreshold: 500,
    });
  });

  it("passes the functions' own settings through the one runtime config", () => {
    expect(loadDevServerConfig({ MAX_TEXTS: '3', LOG_LEVEL: 'debug' }).runtime).toMatchObject({
      limits: { maxTexts: 3 },
      logLevel: 'DEBUG',
    });
  });

  it.each([
    ['PORT', '80000'],
    ['S3_PORT', 'http'],
    ['FANOUT_ROW_THRESHOLD', 'many'],
  ])('fails with the variable name when %s is %j', (name, value) => {
    expect(() => loadDevServerConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadDevServerConfig({ [name]: value })).toThrow(new RegExp(`^${name}: `));
  });
});
