import { describe, expect, it } from 'vitest';
import { normalizeWithOffsets, originalSpan } from '#core/textOffsets.ts';
import { normalizeText } from '#model/ngrams.ts';

const originalOf = (text: string, from: number, to: number): string => {
  const map = normalizeWithOffsets(text, normalizeText);
  const [s, e] = originalSpan(map, from, to);
  return text.slice(s, e);
};

describe('normalised-to-original offsets', () => {
  it('give exactly the normalised text', () => {
    for (const text of ['ﬁ İ Ａ', 'e\u0301', 'ΟΔΟΣ', '\u1100\u1161', ''])
      expect(normalizeWithOffsets(text, normalizeText).text).toBe(normalizeText(text));
  });

  it('map both letters of an expanded ligature to the ligature', () => {
    // 'ﬁbrosis' → 'fibrosis': 8 normalised code units from 7 original ones.
    expect(originalOf('ﬁbrosis', 0, 8)).toBe('ﬁbrosis');
    expect(originalOf('the ﬁbrosis', 4, 6)).toBe('ﬁ');
  });

  it('map a dotted capital I (two code units once lower-cased) and full-width letters to what was typed', () => {
    expect(originalOf('İstanbul', 0, 9)).toBe('İstanbul');
    expect(originalOf('ＣＨＥＳＴ pain', 0, 5)).toBe('ＣＨＥＳＴ');
    expect(originalOf('ＣＨＥＳＴ pain', 6, 10)).toBe('pain');
  });

  it('map a composed character to the letter and its combining mark', () => {
    expect(originalOf('cafe\u0301 au lait', 0, 4)).toBe('cafe\u0301');
    expect(originalOf('cafe\u0301 au lait', 5, 7)).toBe('au');
  });

  it('keep astral characters whole', () => {
    expect(originalOf('😀 chest', 3, 8)).toBe('chest');
  });

  it('fall back to whitespace runs where normalisation depends on context (Greek final sigma)', () => {
    const text = 'ΟΔΟΣ chest';
    expect(normalizeWithOffsets(text, normalizeText).text).toBe('οδος chest');
    expect(originalOf(text, 0, 4)).toBe('ΟΔΟΣ');
    expect(originalOf(text, 5, 10)).toBe('chest');
  });
});
