import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm run bench` times the model in its own process, under tsx: that process's main thread must not have detached an
 * ArrayBuffer by then. The first detach in a thread invalidates V8's ArrayBufferDetaching protector for its isolate,
 * and every typed-array access checks for a detached buffer from then on: the model's templates ran 16-30 % slower
 * when the bench loaded autocannon and the AWS SDK before the model section (through tsx, whose CommonJS hook grows a
 * WebAssembly memory on a large file). README, "Benchmarks".
 *
 * How it is seen: with `--trace-protector-invalidation`, V8 prints a line on stdout when a thread's protector is
 * invalidated. A child loads the modules, prints a marker, then detaches a buffer on the main thread itself: the line
 * comes after the marker only if the main thread was still intact. (Under tsx one more line is always printed, from
 * Node's module-hooks thread, before the marker.)
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const INVALIDATED = 'Invalidating protector cell ArrayBufferDetaching';
const MARKER = '@@loaded@@';

/** The trace lines printed after `modules` were imported, when the main thread then detaches a buffer. */
function detachesAfterLoading(modules: readonly string[]): Promise<number> {
  const script = `
    for (const module of ${JSON.stringify(modules)}) await import(module);
    process.stdout.write('\\n${MARKER}\\n');
    const buffer = new ArrayBuffer(8);
    structuredClone(buffer, { transfer: [buffer] });
  `;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--trace-protector-invalidation', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: REPO,
        timeout: 60_000,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      },
      (error, stdout, stderr) => {
        const at = stdout.indexOf(MARKER);
        if (error || at < 0) reject(new Error(`the child failed: ${error?.message}\n${stdout}\n${stderr}`));
        else resolve(stdout.slice(at).split(INVALIDATED).length - 1);
      },
    );
  });
}

describe("the bench's process, when the model section starts", () => {
  it("has not detached an ArrayBuffer on its main thread after loading the bench and the model section's modules", async () => {
    expect(await detachesAfterLoading(['./scripts/bench.ts', './scripts/bench/model.ts'])).toBe(1);
  }, 90_000);

  it('would have, had it loaded the AWS SDK first (the check can fail)', async () => {
    expect(await detachesAfterLoading(['./scripts/bench.ts', '@aws-sdk/client-s3'])).toBe(0);
  }, 90_000);
});
