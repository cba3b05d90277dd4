import { config } from 'zod';

/**
 * The core's modules define zod schemas (metrics.ts); zod probes `new Function` to compile fast parsers, which
 * the page's Content-Security-Policy (no 'unsafe-eval') forbids and reports as a violation. Imported first by
 * main.ts so that zod never tries.
 */
config({ jitless: true });
