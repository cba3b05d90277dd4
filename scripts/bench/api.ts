import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { startLocalStack } from '../local/localStack.ts';
import { line, percentile, round } from './stats.ts';

const ABSTRACT =
  'Patient presents with chest pain and elevated troponin levels. Coronary angiography showed a critical stenosis of the left anterior descending artery, treated with a drug-eluting stent.';

/** `/predict` through the local HTTP server (loopback only): latency for 1 and 16 texts, without and with `explain`, then a bounded load. */
export async function benchApi(options: { loadSeconds: number }): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const dataDir = await mkdtemp(join(tmpdir(), 'cac-bench-api-'));
  const stack = await startLocalStack({ port: 0, s3Port: 0, dataDir, logLevel: 'SILENT' });
  process.stdout.write(`\nAPI through the local HTTP server (${stack.apiUrl})\n`);
  try {
    for (const [n, explain] of [
      [1, false],
      [16, false],
      [1, true],
      [16, true],
    ] as const) {
      const body = JSON.stringify({
        texts: Array.from({ length: n }, (_, i) => `${ABSTRACT} (${i})`),
        ...(explain ? { explain: true } : {}),
      });
      const latencies: number[] = [];
      for (let i = 0; i < 1100; i++) {
        const t0 = performance.now();
        const res = await fetch(`${stack.apiUrl}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        if (i >= 100) latencies.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`/predict answered ${res.status}`);
      }
      const name = `predict_${n}${explain ? '_explain' : ''}`;
      out[`${name}_p50_ms`] = round(percentile(latencies, 50), 2);
      out[`${name}_p99_ms`] = round(percentile(latencies, 99), 2);
      line(
        `/predict ${n} text${n > 1 ? 's' : ''}${explain ? ', explain: true' : ''}: p50 / p99 (1,000 sequential requests)`,
        `${out[`${name}_p50_ms`]} / ${out[`${name}_p99_ms`]}`,
        'ms',
      );
    }
    const result = await autocannon({
      url: `${stack.apiUrl}/predict`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ texts: [ABSTRACT] }),
      connections: 16,
      duration: options.loadSeconds,
    });
    out.rps = Math.round(result.requests.average);
    out.load_p99_ms = result.latency.p99;
    out.non2xx = result.non2xx;
    line(
      `load: 16 connections, ${options.loadSeconds} s, 1 text`,
      `${out.rps} req/s, p99 ${out.load_p99_ms} ms, non-2xx ${out.non2xx}`,
    );
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  return out;
}
