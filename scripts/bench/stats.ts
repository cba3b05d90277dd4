/** Percentile of a sample (nearest rank), for latency figures. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

export const peakRssMb = (): number => round(process.resourceUsage().maxRSS / 1024, 1);

export function line(label: string, value: string | number, unit = ''): void {
  process.stdout.write(`  ${label.padEnd(46)} ${String(value)}${unit ? ` ${unit}` : ''}\n`);
}
