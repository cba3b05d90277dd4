import { describe, expect, it } from 'vitest';
import type { Expert } from '#model/expert.ts';
import type { TextKind } from '#model/router.ts';
import { type Answerer, answerAll } from '#model/scope.ts';

/**
 * The scope rule on stand-in experts whose logits and lexicon matches are read off the text, so every branch of the
 * rule is reached on purpose: "<kind> <four raw logits> [match]". A real expert's work is not what is tested here
 * (test/model/package.test.ts checks the served model against the training path); the rule and its order are.
 */
const L = 4;
type Call = `${'raw' | 'score'}:${string}:${string}`;

function standIn(name: string, calls: Call[], shift: number): Expert {
  const parse = (text: string) => {
    const [, ...rest] = text.split(' ');
    return { logits: rest.slice(0, L).map(Number), matched: rest[L] === 'match' };
  };
  const raw = (text: string, out: Float64Array, offset: number, matches?: Float64Array) => {
    const { logits, matched } = parse(text);
    for (let l = 0; l < L; l++) out[offset + l] = logits[l]! + shift;
    matches?.fill(0, offset, offset + L);
    if (matches && matched) matches[offset + 2] = 1;
  };
  // Calibration: a visible affine map, so a text calibrated twice, or by the wrong expert, shows.
  const calibrate = (out: Float64Array, offset: number) => {
    for (let l = 0; l < L; l++) out[offset + l] = 2 * out[offset + l]! + (name === 'snippet' ? 100 : 10);
  };
  return {
    kinds: [name as TextKind],
    raw(text: string, out: Float64Array, offset: number, matches?: Float64Array) {
      calls.push(`raw:${name}:${text}`);
      raw(text, out, offset, matches);
    },
    score(text: string, out: Float64Array, offset: number, matches?: Float64Array) {
      calls.push(`score:${name}:${text}`);
      raw(text, out, offset, matches);
      calibrate(out, offset);
    },
    calibrate,
  } as unknown as Expert;
}

function model(calls: Call[]): Answerer {
  // The honest (snippet) expert sees the same text 3 lower in every logit: unsure where the other is sure.
  const experts = {
    real: standIn('real', calls, 0),
    template: standIn('template', calls, 0),
    snippet: standIn('snippet', calls, -3),
  };
  return { expertOf: (kind) => experts[kind], scope: { honest: 'snippet', kinds: ['real'], below: 0.5 } };
}

const TEXTS = [
  'real 2 2 2 2', // no lexicon term, honest expert sure of nothing (all raw logits -1): the honest expert answers
  'real 4 4 4 4', // no lexicon term, but the honest expert is sure (raw 1 > 0): the real expert's answer stands
  'real 2 2 2 2 match', // a lexicon term: the rule does not apply
  'template 1 1 1 1', // a kind the rule does not name
  'snippet 0 0 0 0',
];
const KINDS: TextKind[] = ['real', 'real', 'real', 'template', 'snippet'];

function run(order: number[]): { out: Float64Array; answeredBy: TextKind[]; calls: Call[] } {
  const calls: Call[] = [];
  const out = new Float64Array(TEXTS.length * L).fill(Number.NaN);
  const matches = new Float64Array(TEXTS.length * L);
  const answeredBy: TextKind[] = [];
  answerAll(model(calls), TEXTS, KINDS, order, out, matches, answeredBy);
  return { out, answeredBy, calls };
}

describe('the scope rule (answerAll)', () => {
  it('answers each text by its own expert, or by the honest one when no term matched and it is unsure', () => {
    const { out, answeredBy } = run([0, 1, 2, 3, 4]);
    expect(answeredBy).toEqual(['snippet', 'real', 'real', 'template', 'snippet']);
    // Calibrated once, by the expert that answered: the honest one's raw -1 → 2·(-1) + 100; the others' z → 2z + 10.
    expect(Array.from(out.subarray(0, 4))).toEqual([98, 98, 98, 98]);
    expect(Array.from(out.subarray(4, 8))).toEqual([18, 18, 18, 18]);
    expect(Array.from(out.subarray(8, 12))).toEqual([14, 14, 14, 14]);
    expect(Array.from(out.subarray(12, 16))).toEqual([12, 12, 12, 12]);
    expect(Array.from(out.subarray(16, 20))).toEqual([94, 94, 94, 94]);
  });

  it('gives every text the answer it gets alone, whatever the batch and its order', () => {
    const batch = run([0, 1, 2, 3, 4]);
    for (const order of [
      [4, 3, 2, 1, 0],
      [2, 0, 4, 1, 3],
    ]) {
      const other = run(order);
      expect(other.out).toEqual(batch.out);
      expect(other.answeredBy).toEqual(batch.answeredBy);
    }
    TEXTS.forEach((_, i) => {
      const alone = run([i]);
      expect(alone.out.subarray(i * L, i * L + L)).toEqual(batch.out.subarray(i * L, i * L + L));
      expect(alone.answeredBy[i]).toBe(batch.answeredBy[i]);
    });
  });

  it('scores the batch by the experts of the texts first, then asks the honest expert about the unmatched ones', () => {
    const { calls } = run([0, 1, 2, 3, 4]);
    expect(calls).toEqual([
      'raw:real:real 2 2 2 2',
      'raw:real:real 4 4 4 4',
      'raw:real:real 2 2 2 2 match',
      'score:template:template 1 1 1 1',
      'score:snippet:snippet 0 0 0 0',
      'raw:snippet:real 2 2 2 2',
      'raw:snippet:real 4 4 4 4',
    ]);
  });

  it('writes only the texts it is given', () => {
    const { out, answeredBy } = run([1]);
    expect(Array.from(out.subarray(4, 8))).toEqual([18, 18, 18, 18]);
    expect(out.filter((v) => !Number.isNaN(v))).toHaveLength(4);
    expect(answeredBy.filter((k) => k !== undefined)).toEqual(['real']);
  });
});
