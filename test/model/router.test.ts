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
