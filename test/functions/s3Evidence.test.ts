import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EVIDENCE, loadConfig } from '#adapters/config.ts';
import { ConfigError } from '#core/errors.ts';
import { syntheticCsv } from '../../scripts/fixtures/csvFixtures.ts';
import { startTestStack } from '../support/localStack.ts';

type Stack = Awaited<ReturnType<typeof startTestStack>>;

async function evaluate(stack: Stack, key: string, body: string): Promise<Map<string, string>> {
  await stack.s3.send(new PutObjectCommand({ Bucket: stack.bucket, Key: key, Body: body }));
  await stack.idle();
  const prefix = key.replace(/^incoming\//, 'results/').replace(/\.csv$/, '/');
  const listed = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: prefix }));
  const out = new Map<string, string>();
  for (const { Key } of listed.Contents ?? []) {
    const object = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: Key! }));
    out.set(Key!.slice(prefix.length), await object.Body!.transformToString('utf8'));
  }
  return out;
}

/** Labelled rows, every seventh one labelled wrongly on purpose so that there are more than 50 errors to look at. */
function mislabelled(rows: number, seed: number): string {
  const lines = syntheticCsv({ rows, seed }).trimEnd().split('\n');
  return `${lines.map((line, i) => (i > 0 && i % 7 === 0 && !line.endsWith('"') ? line.replace(/,[^,]*$/, ',oncological|hepato') : line)).join('\n')}\n`;
}

describe('evidence in S3 results', () => {
  let plain: Stack;
  let inline: Stack;
  let fanned: Stack;
  beforeAll(async () => {
    plain = await startTestStack();
    const evidence = { ...DEFAULT_EVIDENCE, column: true, top: 3 };
    inline = await startTestStack({ evidence });
    fanned = await startTestStack({ evidence, fanoutRowThreshold: 500, rowsPerItem: 400 });
  });
  afterAll(async () => {
    await plain?.stop();
    await inline?.stop();
    await fanned?.stop();
  });

  it('by default: report.html shows the errors to look at, highlighted, and predictions.csv has no evidence column', async () => {
    const out = await evaluate(plain, 'incoming/default.csv', mislabelled(200, 8));
    expect(out.get('report.html')).toContain('<h2>Errors to look at</h2>');
    expect(out.get('report.html')).toMatch(/<mark class="l\d/);
    expect((parse(out.get('predictions.csv')!) as string[][])[0]).not.toContain('evidence');
  });

  it('with the evidence column configured, the inline and fan-out paths write byte-identical results, errors to look at included', async () => {
    const csv = mislabelled(2_000, 9);
    const a = await evaluate(inline, 'incoming/both.csv', csv);
    const b = await evaluate(fanned, 'incoming/both.csv', csv);
    expect(fanned.fanouts).toBe(1);
    expect([...b.keys()].sort()).toEqual(['metrics.json', 'predictions.csv', 'report.html', 'report.txt']);
    expect((parse(b.get('predictions.csv')!) as string[][])[0]!.at(-1)).toBe('evidence');
    // More errors than the section lists: which 50 are kept, and their order, must not depend on the path.
    expect(b.get('report.html')).toMatch(/The 50 worst of \d+ misclassified rows/);
    expect(b.get('report.html')!.match(/<article class="error[ "]/g)).toHaveLength(50);
    for (const name of ['predictions.csv', 'metrics.json', 'report.txt', 'report.html'])
      expect(b.get(name) === a.get(name), name).toBe(true);
    expect(fanned.failures).toEqual([]);
  }, 120_000);
});

describe('evidence configuration', () => {
  it("defaults to the report's evidence on and the column off, 10 words per label", () => {
    expect(loadConfig({}).evidence).toEqual({ top: 10, column: false, misclassified: true });
  });

  it('reads EVIDENCE_COLUMN, REPORT_EVIDENCE and EVIDENCE_WORDS', () => {
    expect(loadConfig({ EVIDENCE_COLUMN: 'true', REPORT_EVIDENCE: '0', EVIDENCE_WORDS: '5' }).evidence).toEqual({
      top: 5,
      column: true,
      misclassified: false,
    });
  });

  it("fails with the variable's name on a value it cannot read", () => {
    for (const env of [
      { EVIDENCE_COLUMN: 'yes' },
      { REPORT_EVIDENCE: 'maybe' },
      { EVIDENCE_WORDS: '0' },
      { EVIDENCE_WORDS: '101' },
    ]) {
      const name = Object.keys(env)[0]!;
      expect(() => loadConfig(env), name).toThrow(ConfigError);
      expect(() => loadConfig(env), name).toThrow(name);
    }
  });
});
