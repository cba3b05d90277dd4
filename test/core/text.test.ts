import { describe, expect, it } from 'vitest';
import { isAscii } from '#core/text.ts';

describe('isAscii', () => {
  it('is true exactly when every code unit is below 128', () => {
    for (const [text, ascii] of [
      ['', true],
      ['plain text, 123 ~\u007f', true],
      ['\u0080', false],
      ['café', false],
      ['\ud83d\ude00', false],
      ['lone \ud800 surrogate', false],
      ['\uffff', false],
    ] as const)
      expect(isAscii(text), JSON.stringify(text)).toBe(ascii);
  });
});
