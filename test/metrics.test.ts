import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClassifierError } from '#core/errors.ts';
import { computeMetrics, type Metrics, MetricsAccumulator } from '#core/metrics.ts';

// Label indices, in LABELS order.
const C = 0; // cardiovascular
const H = 1; // hepatorenal
const N = 2; // neurological
const O = 3; // oncological

/** Every number in the result, so one assertion can say "no NaN, no Infinity anywhere". */
function allNumbers(m: Metrics): number[] {
  const out: number[] = [m.n_rows, m.subset_accuracy, m.hamming_loss];
  for (const avg of [m.micro, m.macro, m.weighted, m.samples]) out.push(avg.precision, avg.recall, avg.f1);
  for (const s of Object.values(m.per_label)) out.push(...Object.values(s));
  return out;
}

describe('computeMetrics: a worked 5-row example, every figure derived by hand', () => {
  // Rows (true → predicted):
  //   1. {C}    → {C}      exact
  //   2. {C,H}  → {C}      misses H
  //   3. {N}    → {N,O}    extra O
  //   4. {O}    → {C}      wrong
  //   5. {H,N}  → {H,N}    exact
  // Per label (tn = rows where the label is neither true nor predicted):
  //   C: tp 2 (r1,r2) fp 1 (r4) fn 0 tn 2  support 2  P 2/3  R 1    F1 2·2/(2·2+1+0) = 4/5
  //   H: tp 1 (r5)    fp 0      fn 1 (r2) tn 3  support 2  P 1    R 1/2  F1 2/(2+0+1)     = 2/3
  //   N: tp 2 (r3,r5) fp 0      fn 0 tn 3  support 2  P 1    R 1    F1 1
  //   O: tp 0         fp 1 (r3) fn 1 (r4) tn 3  support 1  P 0    R 0    F1 0
  // Micro: tp 5, fp 2, fn 2 → P 5/7, R 5/7, F1 10/(10+2+2) = 5/7.
  // Macro: P (2/3+1+1+0)/4 = 2/3; R (1+1/2+1+0)/4 = 5/8; F1 (4/5+2/3+1+0)/4 = (37/15)/4 = 37/60.
  //   (F1 of the macro P and R would be 20/31: a different number, which is why macro F1 is tested.)
  // Weighted (supports 2,2,2,1; total 7): P (4/3+2+2+0)/7 = 16/21; R (2+1+2+0)/7 = 5/7;
  //   F1 (8/5+4/3+2+0)/7 = (74/15)/7 = 74/105.
  // Samples, per row (P = tp/|pred|, R = tp/|true|, F1 = 2tp/(|true|+|pred|)):
  //   r1 1,1,1; r2 1,1/2,2/3; r3 1/2,1,2/3; r4 0,0,0; r5 1,1,1
  //   → P 3.5/5 = 7/10; R 3.5/5 = 7/10; F1 (10/3)/5 = 2/3.
  // Subset accuracy: r1 and r5 → 2/5. Hamming loss: 4 wrong cells (2 fp + 2 fn) / (5·4) = 1/5.
  const yTrue = [[C], [C, H], [N], [O], [H, N]];
  const yPred = [[C], [C], [N, O], [C], [H, N]];

  it('gives the per-label confusion counts and scores', () => {
    // Act
    const m = computeMetrics(yTrue, yPred);
    // Assess
    expect(m.per_label.cardiovascular).toMatchObject({ tp: 2, fp: 1, fn: 0, tn: 2, support: 2 });
    expect(m.per_label.hepatorenal).toMatchObject({ tp: 1, fp: 0, fn: 1, tn: 3, support: 2 });
    expect(m.per_label.neurological).toMatchObject({ tp: 2, fp: 0, fn: 0, tn: 3, support: 2 });
    expect(m.per_label.oncological).toMatchObject({ tp: 0, fp: 1, fn: 1, tn: 3, support: 1 });
    expect(m.per_label.cardiovascular.precision).toBeCloseTo(2 / 3, 12);
    expect(m.per_label.cardiovascular.f1).toBeCloseTo(4 / 5, 12);
    expect(m.per_label.hepatorenal.recall).toBeCloseTo(1 / 2, 12);
    expect(m.per_label.hepatorenal.f1).toBeCloseTo(2 / 3, 12);
    expect(m.per_label.oncological.f1).toBe(0);
  });

  it('gives the micro averages from the pooled counts', () => {
    // Act
    const m = computeMetrics(yTrue, yPred);
    // Assess
    expect(m.micro.precision).toBeCloseTo(5 / 7, 12);
    expect(m.micro.recall).toBeCloseTo(5 / 7, 12);
    expect(m.micro.f1).toBeCloseTo(5 / 7, 12);
  });

  it('gives macro F1 as the mean of per-label F1s, not the F1 of macro precision and recall', () => {
    // Act
    const m = computeMetrics(yTrue, yPred);
    // Assess
    expect(m.macro.precision).toBeCloseTo(2 / 3, 12);
    expect(m.macro.recall).toBeCloseTo(5 / 8, 12);
    expect(m.macro.f1).toBeCloseTo(37 / 60, 12);
    expect(m.macro.f1).not.toBeCloseTo(20 / 31, 6);
  });

  it('gives the support-weighted averages', () => {
    // Act
    const m = computeMetrics(yTrue, yPred);
    // Assess
    expect(m.weighted.precision).toBeCloseTo(16 / 21, 12);
    expect(m.weighted.recall).toBeCloseTo(5 / 7, 12);
    expect(m.weighted.f1).toBeCloseTo(74 / 105, 12);
  });

  it('gives the samples averages as the mean of each row’s own scores', () => {
    // Act
    const m = computeMetrics(yTrue, yPred);
    // Assess
    expect(m.samples.precision).toBeCloseTo(7 / 10, 12);
    expect(m.samples.recall).toBeCloseTo(7 / 10, 12);
    expect(m.samples.f1).toBeCloseTo(2 / 3, 12);
  });

  it('gives subset accuracy and Hamming loss', () => {
    // Act
    const m = computeMetrics(yTrue, yPred);
    // Assess
    expect(m.n_rows).toBe(5);
    expect(m.subset_accuracy).toBeCloseTo(2 / 5, 12);
    expect(m.hamming_loss).toBeCloseTo(1 / 5, 12);
  });
});

describe('computeMetrics: edge cases', () => {
  it('scores a perfect prediction 1 everywhere and loses nothing', () => {
    // Prepare: every label has support 1
    const rows = [[C], [H, N], [O]];
    // Act
    const m = computeMetrics(rows, rows);
    // Assess
    for (const avg of [m.micro, m.macro, m.weighted, m.samples])
      expect(avg).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(m.subset_accuracy).toBe(1);
    expect(m.hamming_loss).toBe(0);
  });

  it('scores empty predicted sets 0 (zero_division = 0), not NaN', () => {
    // Prepare: truth {C}, {H}; nothing predicted.
    // Per label P = 0/0 → 0, R = 0/1 → 0. Micro P = 0/0 → 0. Samples P: empty prediction → 0.
    // Hamming: 2 missed cells / (2·4) = 1/4.
    // Act
    const m = computeMetrics([[C], [H]], [[], []]);
    // Assess
    for (const avg of [m.micro, m.macro, m.weighted, m.samples])
      expect(avg).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(m.subset_accuracy).toBe(0);
    expect(m.hamming_loss).toBeCloseTo(1 / 4, 12);
  });

  it('counts a label with no support and no predictions as 0 in the macro average', () => {
    // Prepare: truth {C}, {C,H}; predicted {C}, {C}. N and O never occur.
    // C: tp 2 → P 1, R 1, F1 1. H: fn 1 → 0, 0, 0. N, O: all 0/0 → 0.
    // Macro F1 = (1+0+0+0)/4 = 1/4 (scikit-learn keeps empty labels in the mean).
    // Weighted F1 = (2·1 + 1·0)/3 = 2/3 (empty labels weigh nothing).
    // Act
    const m = computeMetrics([[C], [C, H]], [[C], [C]]);
    // Assess
    expect(m.per_label.neurological).toEqual({
      precision: 0,
      recall: 0,
      f1: 0,
      support: 0,
      tp: 0,
      fp: 0,
      fn: 0,
      tn: 2,
    });
    expect(m.macro.f1).toBeCloseTo(1 / 4, 12);
    expect(m.weighted.f1).toBeCloseTo(2 / 3, 12);
  });

  it('scores rows with all four labels per label and per row', () => {
    // Prepare: r1 truth {C,H,N,O} → predicted {C}; r2 truth {N} → predicted {C,H,N,O}.
    // Samples: r1 P 1/1, R 1/4, F1 2·1/(4+1) = 2/5; r2 P 1/4, R 1/1, F1 2/5.
    //   → P (1+1/4)/2 = 5/8, R 5/8, F1 2/5.
    // Hamming: r1 misses 3, r2 adds 3 → 6/8 = 3/4.
    // Act
    const m = computeMetrics([[C, H, N, O], [N]], [[C], [C, H, N, O]]);
    // Assess
    expect(m.samples.precision).toBeCloseTo(5 / 8, 12);
    expect(m.samples.recall).toBeCloseTo(5 / 8, 12);
    expect(m.samples.f1).toBeCloseTo(2 / 5, 12);
    expect(m.hamming_loss).toBeCloseTo(3 / 4, 12);
  });

  it('counts a multi-label row once per label, never as one combined class', () => {
    // Prepare: truth neurological|hepatorenal, predicted neurological.
    // As a combined class this row would be simply wrong (tp 0). Per label: N is a hit, H a miss,
    // so micro P = 1/1, R = 1/2, F1 = 2/(2+0+1) = 2/3. Only subset accuracy sees the whole set (0).
    // Act
    const m = computeMetrics([[N, H]], [[N]]);
    // Assess
    expect(m.per_label.neurological).toMatchObject({ tp: 1, fp: 0, fn: 0 });
    expect(m.per_label.hepatorenal).toMatchObject({ tp: 0, fp: 0, fn: 1 });
    expect(m.micro.precision).toBe(1);
    expect(m.micro.recall).toBeCloseTo(1 / 2, 12);
    expect(m.micro.f1).toBeCloseTo(2 / 3, 12);
    expect(m.subset_accuracy).toBe(0);
  });

  it('treats a row as a set: order and duplicates of indices do not matter', () => {
    // Act
    const a = computeMetrics([[N, H]], [[H, H, N]]);
    const b = computeMetrics([[H, N]], [[H, N]]);
    // Assess
    expect(a).toEqual(b);
  });

  it('scores a row whose truth and prediction are both empty 0 in the samples average, like scikit-learn', () => {
    // Prepare: r1 {} → {} ; r2 {C} → {C}. Samples F1 = (0 + 1)/2 = 1/2; the empty row is still an exact match.
    // Act
    const m = computeMetrics([[], [C]], [[], [C]]);
    // Assess
    expect(m.samples).toEqual({ precision: 1 / 2, recall: 1 / 2, f1: 1 / 2 });
    expect(m.subset_accuracy).toBe(1);
  });

  it('returns zeros without NaN for zero rows', () => {
    // Act
    const m = computeMetrics([], []);
    // Assess
    expect(m.n_rows).toBe(0);
    expect(allNumbers(m).every((x) => x === 0)).toBe(true);
    expect(JSON.stringify(m)).not.toContain('null');
  });

  it('lays out metrics.json keys in the contract order, labels in full and in LABELS order', () => {
    // Act
    const m = computeMetrics([[C]], [[C]]);
    // Assess
    expect(Object.keys(m)).toEqual([
      'n_rows',
      'labels',
      'micro',
      'macro',
      'weighted',
      'samples',
      'per_label',
      'subset_accuracy',
      'hamming_loss',
    ]);
    expect(m.labels).toEqual(['cardiovascular', 'hepatorenal', 'neurological', 'oncological']);
    expect(Object.keys(m.per_label)).toEqual(m.labels);
    expect(Object.keys(m.per_label.cardiovascular)).toEqual([
      'precision',
      'recall',
      'f1',
      'support',
      'tp',
      'fp',
      'fn',
      'tn',
    ]);
    expect(Object.keys(m.micro)).toEqual(['precision', 'recall', 'f1']);
  });

  it('rejects rows of different lengths', () => {
    // Act / Assess
    expect(() => computeMetrics([[C]], [])).toThrow(RangeError);
  });
});

describe('MetricsAccumulator', () => {
  const label = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 });
  const row = fc.tuple(label, label);

  /** Rows, cut into chunks at random points, plus a random order in which to merge the chunks. */
  const chunkedRows = fc.array(row, { maxLength: 120 }).chain((rows) =>
    fc.uniqueArray(fc.integer({ min: 0, max: rows.length }), { maxLength: 8 }).chain((cuts) => {
      const bounds = [0, ...[...cuts].sort((a, b) => a - b), rows.length];
      const chunks = bounds.slice(1).map((end, i) => rows.slice(bounds[i], end));
      const indices = chunks.map((_, i) => i);
      return fc
        .shuffledSubarray(indices, { minLength: indices.length, maxLength: indices.length })
        .map((order) => ({ rows, chunks, order }));
    }),
  );

  function accumulate(rows: readonly (readonly [number[], number[]])[]): MetricsAccumulator {
    const acc = new MetricsAccumulator();
    for (const [t, p] of rows) acc.add(t, p);
    return acc;
  }

  it('gives bit-identical results whether rows are merged from chunks in any order or seen in one pass', () => {
    fc.assert(
      fc.property(chunkedRows, ({ rows, chunks, order }) => {
        // Prepare
        const single = accumulate(rows);
        // Act
        const merged = new MetricsAccumulator();
        for (const i of order) merged.merge(accumulate(chunks[i]!));
        // Assess
        expect(merged.toJSON()).toEqual(single.toJSON());
        expect(merged.result()).toEqual(single.result());
        expect(JSON.stringify(merged.result())).toBe(JSON.stringify(single.result()));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips its state through JSON text unchanged', () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 60 }), (rows) => {
        // Prepare
        const acc = accumulate(rows);
        // Act
        const back = MetricsAccumulator.fromJSON(JSON.parse(JSON.stringify(acc)));
        // Assess
        expect(back.toJSON()).toEqual(acc.toJSON());
        expect(back.result()).toEqual(acc.result());
        expect(back.rows).toBe(rows.length);
      }),
    );
  });

  it('keeps a constant-size state however many rows it has seen', () => {
    // Prepare
    const acc = new MetricsAccumulator();
    const small = JSON.stringify(acc).length;
    // Act
    for (let r = 0; r < 100_000; r++) acc.add([r % 4, (r * 7) % 4], [r % 3]);
    // Assess: a handful of (longer) integers, not one entry per row
    expect(JSON.stringify(acc).length).toBeLessThan(small + 200);
    expect(acc.rows).toBe(100_000);
  });

  it.each([
    ['null', null],
    ['a string', 'metrics'],
    ['an empty object', {}],
    ['a negative count', { ...new MetricsAccumulator().toJSON(), rows: -1 }],
    ['a fractional count', { ...new MetricsAccumulator().toJSON(), rows: 1.5 }],
    ['a count given as text', { ...new MetricsAccumulator().toJSON(), rows: '3' }],
    ['too few per-label counts', { ...new MetricsAccumulator().toJSON(), tp: [0, 0, 0] }],
    [
      'labels in another order',
      {
        ...new MetricsAccumulator().toJSON(),
        labels: ['hepatorenal', 'cardiovascular', 'neurological', 'oncological'],
      },
    ],
    ['an unknown key', { ...new MetricsAccumulator().toJSON(), extra: 1 }],
    ['an unknown version', { ...new MetricsAccumulator().toJSON(), version: 2 }],
    ['more hits than rows', { ...new MetricsAccumulator().toJSON(), rows: 1, tp: [2, 0, 0, 0] }],
    ['a samples sum above 840 per row', { ...new MetricsAccumulator().toJSON(), rows: 1, samples_f1_840: 841 }],
  ])('rejects a state that is %s', (_what, state) => {
    // Act / Assess
    expect(() => MetricsAccumulator.fromJSON(state)).toThrow(ClassifierError);
    expect(() => MetricsAccumulator.fromJSON(state)).toThrow(/not a metrics accumulator state/);
  });

  it('rejects a label index outside 0..3', () => {
    // Prepare
    const acc = new MetricsAccumulator();
    // Act / Assess
    expect(() => acc.add([4], [0])).toThrow(RangeError);
    expect(() => acc.add([0], [-1])).toThrow(RangeError);
    expect(acc.rows).toBe(0);
  });
});
