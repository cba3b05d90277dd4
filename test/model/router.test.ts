import { createReadStream, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openCsv } from '#core/csv/csvReader.ts';
import { readLabelledRecords } from '#core/csv/records.ts';
import { countTokens, DEFAULT_ROUTER, Router } from '#model/router.ts';

const router = new Router(DEFAULT_ROUTER);
const kindOf = (text: string) => router.kindOf(text);
const isTemplateText = (text: string) => router.isTemplate(text);
const SNIPPET_MAX_TOKENS = DEFAULT_ROUTER.snippet.maxTokens;

const TRAINING_DATA = fileURLToPath(new URL('../../../shared/data/challenge_train.csv', import.meta.url));
const TEMPLATE =
  'dementia and cholecystitis: organ interplay Purpose: This randomized controlled study examined statins for diabetes in adult population. ' +
  'The investigation included analysis of bun, cholelithiasis, and liver transplant. Methods: 461 participants were included. ' +
  'Results: decreased mortality rates. Implications: patient care improvement.';
const REAL_BACKGROUND =
  'Statins after stroke Background: Statins reduce the risk of recurrent stroke. We studied 1,204 patients with ischemic stroke ' +
  'randomised to atorvastatin or placebo for five years and measured recurrent events, mortality and liver enzymes. ' +
  'Recurrent stroke occurred in 11.2 % and 13.1 % of patients respectively; liver enzymes rose in 2 %. ' +
  'Conclusion: clinical relevance.'.repeat(1) +
  ' Further trials are under way, and long-term follow-up of this cohort continues to assess safety and adherence in older adults '.repeat(
    3,
  );

describe('kinds of text', () => {
  it('calls a text with a template opening, a template closing and a short length a template', () => {
    expect(isTemplateText(TEMPLATE)).toBe(true);
    expect(kindOf(TEMPLATE)).toBe('template');
  });

  it('never calls a long real abstract a template because it starts with "Background:"', () => {
    expect(kindOf(REAL_BACKGROUND)).toBe('real');
    // Even ending exactly like a template, a text over the length limit is real.
    expect(kindOf(`${REAL_BACKGROUND} Conclusion: clinical relevance.`)).toBe('real');
  });

  it('needs both the opening and the closing, written exactly (case-sensitive)', () => {
    expect(isTemplateText(TEMPLATE.replace('Purpose: ', 'PURPOSE: '))).toBe(false);
    expect(
      isTemplateText(TEMPLATE.replace('Implications: patient care improvement.', 'Implications: patients improved.')),
    ).toBe(false);
  });

  it('calls a title or a one-line sentence a snippet, up to the cut-off in word tokens', () => {
    expect(kindOf('Patient presents with chest pain and elevated troponin levels.')).toBe('snippet');
    const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
    expect(kindOf(words(SNIPPET_MAX_TOKENS))).toBe('snippet');
    expect(kindOf(words(SNIPPET_MAX_TOKENS + 1))).toBe('real');
  });

  it('counts word tokens as the models do: two or more word characters', () => {
    expect(countTokens('a b cd ef-gh 1 23 ü ßx')).toBe(5);
  });

  it("counts exactly the Unicode regex's matches, up to limit + 1, whatever the text mixes", () => {
    const regexCount = (text: string, limit: number): number => {
      let n = 0;
      for (const _ of text.matchAll(/[\p{L}\p{M}\p{N}\p{Pc}]{2,}/gu)) if (++n > limit) break;
      return n;
    };
    // ASCII word and non-word characters, letters and marks past ASCII, a connector, an astral letter (a surrogate
    // pair: one code point), lone surrogates, white space of both kinds.
    const pieces = [
      'a',
      'Z',
      '7',
      '_',
      '-',
      ' ',
      '.',
      '\t',
      'é',
      'e\u0301',
      'ß',
      '\u203f',
      '\u{1d400}',
      '\ud835',
      '\udc00',
      '\u00a0',
      '٣',
      '中',
    ];
    let seed = 7;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const fixed = ['', 'ab', 'a', 'aé', 'éa', 'a\u{1d400}', 'ab cd', 'ab\u00a0cd', 'x'.repeat(50), 'ab é', 'a_b c-d'];
    for (const text of fixed)
      for (const limit of [0, 1, 2, 24, Number.POSITIVE_INFINITY])
        expect(countTokens(text, limit), JSON.stringify(text)).toBe(regexCount(text, limit));
    for (let k = 0; k < 3000; k++) {
      const text = Array.from({ length: next(40) }, () => pieces[next(pieces.length)]).join('');
      for (const limit of [0, 3, Number.POSITIVE_INFINITY])
        expect(countTokens(text, limit), JSON.stringify(text)).toBe(regexCount(text, limit));
    }
  });

  it.skipIf(!existsSync(TRAINING_DATA))(
    'is exact on the training data: templates are exactly the rows with an opening phrase and a fixed closing',
    async () => {
      const csv = await openCsv(createReadStream(TRAINING_DATA));
      const { titles, abstracts, texts } = await readLabelledRecords(csv.records, csv.header);
      const openings =
        /^(Hypothesis|Background|Research question|Aim|Study design|Purpose|Objective): |^This investigation examined the effects of /;
      const closings = /(Conclusion: |Implications: |These findings suggest )[a-z -]+\.$/;
      const kinds = texts.map((t) => kindOf(t));
      const truth = abstracts.map((a) => openings.test(a) && closings.test(a));
      expect(kinds.filter((k) => k === 'template').length).toBe(1697);
      kinds.forEach((kind, i) => {
        expect(kind === 'template', titles[i]).toBe(truth[i]);
      });
      expect(kinds.filter((k) => k === 'snippet').length).toBe(0);
    },
  );
});
