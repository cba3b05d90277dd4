import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEV_JWT_AUDIENCE, DEV_JWT_ISSUER, loadDevServerConfig } from '#adapters/devServerConfig.ts';
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

  it('serves without auth unless API_AUTH says otherwise', () => {
    expect(loadDevServerConfig({})).toMatchObject({ runtime: { auth: 'none' }, jwt: undefined });
    expect(loadDevServerConfig({ API_AUTH: 'IAM' })).toMatchObject({ runtime: { auth: 'iam' }, jwt: undefined });
  });

  it('checks tokens of a key pair made at start under API_AUTH=jwt, with a default issuer and audience', () => {
    expect(loadDevServerConfig({ API_AUTH: 'jwt' }).jwt).toEqual({
      issuer: DEV_JWT_ISSUER,
      audience: [DEV_JWT_AUDIENCE],
      jwksFile: undefined,
    });
  });

  it("reads the issuer's key set, issuer and audiences from JWKS_FILE, JWT_ISSUER and JWT_AUDIENCE", () => {
    const config = loadDevServerConfig({
      API_AUTH: 'jwt',
      JWKS_FILE: 'keys/jwks.json',
      JWT_ISSUER: 'https://issuer.example.org/',
      JWT_AUDIENCE: 'one, two',
    });
    expect(config.jwt).toEqual({
      issuer: 'https://issuer.example.org/',
      audience: ['one', 'two'],
      jwksFile: resolve('keys/jwks.json'),
    });
  });

  it.each([
    [{ API_AUTH: 'oauth' }, 'API_AUTH'],
    [{ API_AUTH: 'jwt', JWKS_FILE: 'jwks.json', JWT_AUDIENCE: 'a' }, 'JWT_ISSUER'],
    [{ API_AUTH: 'jwt', JWKS_FILE: 'jwks.json', JWT_ISSUER: 'https://i.example.org' }, 'JWT_AUDIENCE'],
    [{ JWT_ISSUER: 'https://i.example.org' }, 'JWT_ISSUER'],
    [{ API_AUTH: 'iam', JWKS_FILE: 'jwks.json' }, 'JWKS_FILE'],
  ])('refuses the access settings %j, naming %s', (env, name) => {
    expect(() => loadDevServerConfig(env)).toThrow(new RegExp(`^${name}: `));
  });
});
