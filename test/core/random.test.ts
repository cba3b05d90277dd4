import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#core/random.ts';

const draws = (random: () => number, n: number) => Array.from({ length: n }, random);

describe('the seeded generator', () => {
  it('gives the same numbers for the same seed and different ones for another seed', () => {
    expect(draws(mulberry32(7), 100)).toEqual(draws(mulberry32(7), 100));
    expect(draws(mulberry32(7), 100)).not.toEqual(draws(mulberry32(8), 100));
  });

  it('draws uniformly from [0, 1)', () => {
    const values = draws(mulberry32(1), 20_000);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    const deciles = Array.from(
      { length: 10 },
      (_, d) => values.filter((v) => Math.floor(v * 10) === d).length / values.length,
    );
    for (const share of deciles) expect(share).toBeCloseTo(0.1, 1);
  });
});
