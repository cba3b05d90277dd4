import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { ConfigError } from '#core/errors.ts';
import { REPO_ROOT, readConfig } from '../../infra/config.ts';

const context = (values: Record<string, unknown>) => ({
  tryGetContext: (key: string): unknown => values[key],
  getAllContext: () => values,
});

describe('readConfig', () => {
  it('defaults to the embedded model, a 20,000-row fan-out threshold and a public /predict', () => {
    const config = readConfig(context({}));

    expect(config.modelDir).toBe(DEFAULT_MODEL_DIR);
    expect(config.fanoutRowThreshold).toBe(20_000);
    expect(config.auth).toBe('none');
    expect(config.corsOrigins).toEqual([]);
    // Undefined: decided by the model folder's backend when the image context is prepared.
    expect(config.bertRuntime).toBeUndefined();
  });

  it('accepts the strings `cdk -c key=value` gives as well as JSON values from cdk.json', () => {
    const fromCli = readConfig(
      context({ predictMemoryMb: '3008', predictRequiresIam: 'true', corsOrigins: 'https://a.org, https://b.org' }),
    );
    const fromJson = readConfig(
      context({ predictMemoryMb: 3008, predictRequiresIam: true, corsOrigins: ['https://a.org', 'https://b.org'] }),
    );

    expect(fromCli).toEqual(fromJson);
    expect(fromCli.memoryMb.predict).toBe(3008);
    expect(fromCli.corsOrigins).toEqual(['https://a.org', 'https://b.org']);
  });

  it('reserves no concurrency unless the cost guard is on, and then as much chunk concurrency as one map runs', () => {
    expect(readConfig(context({})).reservedConcurrency).toEqual({ predict: 0, evaluate: 0, chunk: 0 });
    expect(readConfig(context({ costGuard: 'true', fanoutMaxConcurrency: '4' })).reservedConcurrency).toEqual({
      predict: 10,
      evaluate: 5,
      chunk: 4,
    });
  });

  it('refuses fewer reserved chunk slots than one Distributed Map runs at once', () => {
    expect(() => readConfig(context({ costGuard: 'true', chunkReservedConcurrency: '5' }))).toThrow(
      /^chunkReservedConcurrency: .*at least fanoutMaxConcurrency \(10\); got 5$/,
    );
    expect(() => readConfig(context({ chunkReservedConcurrency: '3', fanoutMaxConcurrency: '4' }))).toThrow(
      ConfigError,
    );
    expect(readConfig(context({ chunkReservedConcurrency: '0', costGuard: 'true' })).reservedConcurrency.chunk).toBe(0);
  });

  it('reads auth=jwt with an existing issuer and its audiences, or with a Cognito pool of the stack', () => {
    expect(
      readConfig(context({ auth: 'jwt', jwtIssuer: 'https://tenant.auth0.com/', jwtAudience: 'a, b' })),
    ).toMatchObject({
      auth: 'jwt',
      jwt: { kind: 'issuer', issuer: 'https://tenant.auth0.com/', audience: ['a', 'b'] },
    });
    expect(readConfig(context({ auth: 'jwt', jwtCognito: true }))).toMatchObject({
      auth: 'jwt',
      jwt: { kind: 'cognito' },
    });
  });

  it('takes predictRequiresIam=true, the older spelling, as auth=iam, and refuses it beside another mode', () => {
    expect(readConfig(context({ predictRequiresIam: 'true' })).auth).toBe('iam');
    expect(readConfig(context({ auth: 'iam', predictRequiresIam: true })).auth).toBe('iam');
    expect(() => readConfig(context({ auth: 'jwt', jwtCognito: 'true', predictRequiresIam: 'true' }))).toThrow(
      /^predictRequiresIam: /,
    );
  });

  it.each([
    [{ auth: 'oauth' }, 'auth'],
    [{ auth: 'jwt' }, 'jwtIssuer'],
    [{ auth: 'jwt', jwtIssuer: 'http://insecure.example.org' }, 'jwtIssuer'],
    [{ auth: 'jwt', jwtIssuer: 'https://issuer.example.org' }, 'jwtAudience'],
    [{ auth: 'jwt', jwtCognito: 'true', jwtIssuer: 'https://issuer.example.org' }, 'jwtIssuer'],
    [{ jwtIssuer: 'https://issuer.example.org', jwtAudience: 'a' }, 'jwtIssuer'],
    [{ auth: 'iam', jwtCognito: 'true' }, 'jwtCognito'],
  ])('refuses the auth settings %j, naming %s', (values, key) => {
    expect(() => readConfig(context(values))).toThrow(new RegExp(`^${key}: `));
  });

  it('caps the evaluations uploads may run at once by default, and never above their reservation', () => {
    expect(readConfig(context({})).evaluateMaxConcurrency).toBe(5);
    expect(readConfig(context({ costGuard: 'true', evaluateReservedConcurrency: '3' })).evaluateMaxConcurrency).toBe(3);
    expect(readConfig(context({ evaluateMaxConcurrency: '50' })).evaluateMaxConcurrency).toBe(50);
    expect(() => readConfig(context({ evaluateReservedConcurrency: '3', evaluateMaxConcurrency: '4' }))).toThrow(
      /^evaluateMaxConcurrency: /,
    );
    expect(() => readConfig(context({ evaluateMaxConcurrency: '1' }))).toThrow(/^evaluateMaxConcurrency: /);
  });

  it('keeps uploads unless an expiry is given, and throttles /predict below the other routes', () => {
    expect(readConfig(context({})).incomingExpirationDays).toBeUndefined();
    expect(readConfig(context({ incomingExpirationDays: '30' })).incomingExpirationDays).toBe(30);
    expect(readConfig(context({}))).toMatchObject({
      throttle: { rateLimit: 20, burstLimit: 40 },
      predictThrottle: { rateLimit: 10, burstLimit: 20 },
    });
    expect(() => readConfig(context({ predictThrottleRateLimit: '50' }))).toThrow(/^predictThrottleBurstLimit: /);
  });

  it('installs the bert runtime when a Hub model is exported at build time', () => {
    expect(readConfig(context({ bertModel: 'emilyalsentzer/Bio_ClinicalBERT' })).bertRuntime).toBe(true);
  });

  it.each([
    ['fanoutRowThreshold', 'many'],
    ['predictMemoryMb', '64'],
    ['predictRequiresIam', 'yes'],
    ['logRetentionDays', '10'],
    ['corsOrigins', 'https://a.org/path'],
    ['architecture', 'arm'],
    ['throttleBurstLimit', '1'],
    ['costGuard', 'on'],
    ['tracing', 'off'],
  ])('names the key in the error when %s is %j', (key, value) => {
    expect(() => readConfig(context({ [key]: value }))).toThrow(ConfigError);
    expect(() => readConfig(context({ [key]: value }))).toThrow(new RegExp(`^${key}: `));
  });

  it('fails on a misspelt key, naming it and the closest valid key', () => {
    expect(() => readConfig(context({ predictMemoryMB: '3008' }))).toThrow(ConfigError);
    expect(() => readConfig(context({ predictMemoryMB: '3008' }))).toThrow(
      'predictMemoryMB: unknown CDK context key; did you mean "predictMemoryMb"?',
    );
  });

  it('lists the valid keys when an unknown key is close to none of them', () => {
    expect(() => readConfig(context({ x: '1' }))).toThrow(
      /^x: unknown CDK context key; the keys are .*predictMemoryMb/,
    );
  });

  it("accepts CDK's own keys: feature flags, CLI settings, cached lookups and the context in cdk.json", () => {
    const cdkJson = JSON.parse(readFileSync(`${REPO_ROOT}/cdk.json`, 'utf8')) as { context: Record<string, unknown> };
    const cdkKeys = {
      '@aws-cdk/aws-iam:minimizePolicies': true,
      'aws:cdk:version-reporting': true,
      'availability-zones:account=123456789012:region=eu-west-1': ['eu-west-1a'],
      'acknowledged-issue-numbers': [32775],
      ...cdkJson.context,
    };
    expect(() => readConfig(context(cdkKeys))).not.toThrow();
  });
});
