import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main as evaluate } from '../../scripts/evaluate.ts';
import { startTestStack } from '../support/localStack.ts';

/**
 * The prototype's README examples, sent as one-liners without a title: the embedded model must give each its label
 * with probability ≥ 0.5 (they are snippets, answered by the snippet expert), through the API and the CLI alike.
 */
const EXAMPLES = [
  { text: 'Patient presents with chest pain and elevated troponin levels.', short: 'cardio', label: 'cardiovascular' },
  { text: 'Signs of cirrhosis and hepatorenal syndrome.', short: 'hepato', label: 'hepatorenal' },
  { text: 'Acute onset neurological deficits with imaging findings.', short: 'neuro', label: 'neurological' },
  { text: 'Abnormal tumor markers requiring further oncological workup.', short: 'onco', label: 'oncological' },
] as const;

describe("the prototype's four one-line examples", () => {
  let stack: Awaited<ReturnType<typeof startTestStack>>;
  let dir: string;
  beforeAll(async () => {
    stack = await startTestStack();
    dir = await mkdtemp(join(tmpdir(), 'cac-examples-'));
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('get their label with probability ≥ 0.5 through POST /predict', async () => {
    const res = await fetch(`${stack.apiUrl}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: EXAMPLES.map((e) => e.text) }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { proba: Record<string, number>; labels: string[] }[];
    EXAMPLES.forEach((example, i) => {
      expect(body[i]!.proba[example.short], example.text).toBeGreaterThanOrEqual(0.5);
      expect(body[i]!.labels, example.text).toContain(example.label);
    });
  });

  it('get their label with probability ≥ 0.5 through npm run evaluate (abstract only, no title)', async () => {
    const csv = `title,abstract\n${EXAMPLES.map((e) => `,${e.text}`).join('\n')}\n`;
    await writeFile(join(dir, 'examples.csv'), csv);
    const quiet = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const quietOut = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await evaluate([join(dir, 'examples.csv'), '--out', join(dir, 'out'), '--quiet'])).toBe(0);
    } finally {
      quiet.mockRestore();
      quietOut.mockRestore();
    }
    const rows = parse(await readFile(join(dir, 'out', 'predictions.csv')), { columns: true }) as Record<
      string,
      string
    >[];
    EXAMPLES.forEach((example, i) => {
      expect(Number(rows[i]![`proba_${example.label}`]), example.text).toBeGreaterThanOrEqual(0.5);
      expect(rows[i]!.group_predicted!.split('|'), example.text).toContain(example.label);
      expect(rows[i]!.kind, example.text).toBe('snippet');
    });
  });
});
