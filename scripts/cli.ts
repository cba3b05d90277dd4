import { type ParseArgsConfig, parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ClassifierError, ConfigError, InputError, ModelLoadError } from '#core/errors.ts';
import { isEntryPoint } from './entryPoint.ts';

/** Exit codes (BSD sysexits): the one place CLI errors become numbers. */
export const EXIT = { ok: 0, internal: 1, usage: 64, dataError: 65, noInput: 66, config: 78 } as const;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--help` or `-h`: not a failure; the usage goes to stdout and the exit code is 0. */
export class HelpRequested extends Error {
  constructor(readonly usage: string) {
    super(usage);
    this.name = 'HelpRequested';
  }
}

export function exitCodeFor(error: unknown): number {
  if (error instanceof HelpRequested) return EXIT.ok;
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT.usage;
  if (error instanceof ModelLoadError) return EXIT.config;
  if (error instanceof InputError) return error.code === 'no_input' ? EXIT.noInput : EXIT.dataError;
  return EXIT.internal;
}

/** Prints a failure the way a user can act on it: message and locations, a stack only with DEBUG set. */
export function reportFailure(error: unknown): number {
  const code = exitCodeFor(error);
  if (error instanceof HelpRequested) {
    process.stdout.write(`${error.usage}\n`);
    return code;
  }
  if (error instanceof ClassifierError || error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error instanceof InputError) {
      for (const d of error.details) {
        const where = [
          d.line !== undefined ? `line ${d.line}` : '',
          d.column !== undefined ? `column ${d.column}` : '',
          d.field ? `field ${d.field}` : '',
        ]
          .filter(Boolean)
          .join(', ');
        process.stderr.write(`  ${where ? `${where}: ` : ''}${d.message}\n`);
      }
    }
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  if (process.env.DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return code;
}

/**
 * Parses flags strictly: an unknown flag or a missing value is a usage error, not a silent default. `--help` or
 * `-h` (before any `--`) asks for the usage: every CLI that parses its flags here answers it with exit code 0.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: T,
  usage: string,
) {
  const end = argv.indexOf('--');
  if ((end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h')) throw new HelpRequested(usage);
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
}

/** A progress bar on a terminal, nothing otherwise (CI logs, pipes): progress in bytes, speed in rows/s. */
export function progressBar(totalBytes: number): { update(bytes: number, rows: number): void; stop(): void } {
  if (!process.stderr.isTTY || totalBytes <= 0) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const start = performance.now();
  bar.start(totalBytes, 0, { rows: 0, rate: 0 });
  return {
    update(bytes, rows) {
      const seconds = (performance.now() - start) / 1000;
      bar.update(Math.min(bytes, totalBytes), { rows, rate: seconds > 0 ? Math.round(rows / seconds) : 0 });
    },
    stop: () => bar.stop(),
  };
}

/**
 * Runs a CLI main function and exits with the mapped code, when the calling module (`import.meta.url`) is the script
 * node was started with; importing the module (tests, other scripts) runs nothing.
 */
export function runCli(moduleUrl: string, main: (argv: string[]) => Promise<number>): void {
  if (!isEntryPoint(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.exitCode = reportFailure(error);
    },
  );
}
