import { mulberry32 } from '#core/random.ts';
import type { Lexicon } from '#model/lexicon.ts';
import { NgramExtractor, normalizeText } from '#model/ngrams.ts';
import { closure, senseId, type WordNet } from './wordnet.ts';

/**
 * Background: non-medical English without labels, so the experts learn that no medical evidence means no label (a
 * text without evidence for a label must not get that label's base rate) and that text unlike abstracts is not to be
 * answered with confidence. Built from WordNet's glosses (definitions and example sentences of ~118,000 synsets, about
 * everything: cooking, weather, sport, law, software, trade), leaving out every synset under medicine's top concepts
 * and every gloss with a medical word. Deterministic: the same WordNet and seed give the same texts.
 * - snippets: one gloss each (the length of a title or a one-line sentence);
 * - passages: 10–20 glosses of one lexicographer file (one topic: food, artifacts, acts, ...) joined as a paragraph,
 *   the length of an abstract.
 */

/** Top concepts whose hyponyms are medical (or too close to it to serve as "not medical"). */
const MEDICAL_ROOTS = [
  'disease.n.01',
  'illness.n.01',
  'disorder.n.01',
  'symptom.n.01',
  'injury.n.01',
  'pathology.n.01',
  'medical_care.n.01',
  'medical_procedure.n.01',
  'drug.n.01',
  'medicine.n.02',
  'body_part.n.01',
  'organ.n.01',
  'tissue.n.01',
  'cell.n.02',
  'bodily_process.n.01',
  'physiological_state.n.01',
  'pathological_state.n.01',
  'health_professional.n.01',
  'patient.n.01',
  'medicine.n.01',
  'microorganism.n.01',
  'body_substance.n.01',
  'chemical_compound.n.01',
  'organism.n.01',
];

/** Lexicographer files left out whole: noun.body (8), noun.animal (5), noun.plant (20), verb.body (29). */
const MEDICAL_LEX_FILES = new Set([5, 8, 20, 29]);

/** Words that make a gloss medical even outside the medical hierarchies. */
export const MEDICAL_WORDS =
  /\b(?:medic\w*|clinic\w*|disease\w*|patient\w*|illness\w*|treat\w*|therap\w*|symptom\w*|diagnos\w*|surg\w*|hospital\w*|physician\w*|doctor\w*|nurs\w*|drug\w*|dose\w*|infect\w*|virus\w*|bacteri\w*|pain\w*|blood|body|bodies|bodily|organ\w*|tissue\w*|cells?|gland\w*|muscle\w*|bone\w*|nerve\w*|brain\w*|heart\w*|liver\w*|kidney\w*|lung\w*|skin|tumou?r\w*|cancer\w*|health\w*|anatom\w*|physiolog\w*|patholog\w*|chemical\w*|protein\w*|gene\w*|genetic\w*|hormone\w*|enzyme\w*|vitamin\w*|acid\w*|pregnan\w*|birth|death|dying|die[sd]?|sick\w*|ill|injur\w*|wound\w*|fever\w*|poison\w*|toxic\w*|mental\w*|psych\w*|neur\w*|cardi\w*|hepat\w*|ren(?:al)|onco\w*|vein\w*|arter\w*|urin\w*)\b/i;

export interface BackgroundOptions {
  snippets: number;
  passages: number;
  seed: number;
}

export const DEFAULT_BACKGROUND: BackgroundOptions = { snippets: 1000, passages: 400, seed: 17 };

/** Non-medical glosses, grouped by lexicographer file, in WordNet's order. */
export function nonMedicalGlosses(wordnet: WordNet, lexicon: Lexicon): Map<number, string[]> {
  const roots = MEDICAL_ROOTS.map((name) => {
    const id = senseId(wordnet, name);
    if (!id) throw new RangeError(`background: ${name} is not in WordNet ${wordnet.version}`);
    return id;
  });
  const medical = closure(wordnet, roots, ['~', '~i']);
  const extractor = new NgramExtractor({ hashBits: 10, wordNgrams: [1, 1], charNgrams: [5, 5] });
  const matches = new Float64Array(4);
  const byFile = new Map<number, string[]>();
  for (const synset of wordnet.synsets.values()) {
    if (medical.has(synset.id) || MEDICAL_LEX_FILES.has(synset.lexFile)) continue;
    // Glosses start with "(domain)" when the domain is named; drop those of medical domains with the rest.
    const gloss = synset.gloss.replace(/\s+/g, ' ').trim();
    if (gloss.length < 20 || MEDICAL_WORDS.test(gloss) || MEDICAL_WORDS.test(synset.words.join(' '))) continue;
    lexicon.count(extractor.extract(normalizeText(gloss)).tokens, matches);
    if (matches.some((m) => m > 0)) continue;
    const text = gloss.charAt(0).toUpperCase() + gloss.slice(1);
    const list = byFile.get(synset.lexFile) ?? [];
    byFile.set(synset.lexFile, list);
    list.push(text.endsWith('.') || text.endsWith('"') ? text : `${text}.`);
  }
  return byFile;
}

/** The background texts: `snippets` single glosses, then `passages` paragraphs of one topic each. */
export function backgroundTexts(
  wordnet: WordNet,
  lexicon: Lexicon,
  options: BackgroundOptions = DEFAULT_BACKGROUND,
): string[] {
  const byFile = nonMedicalGlosses(wordnet, lexicon);
  const files = [...byFile.keys()].sort((a, b) => a - b);
  const all = files.flatMap((f) => byFile.get(f)!);
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const texts: string[] = [];
  for (let i = 0; i < options.snippets; i++) texts.push(pick(all));
  const topics = files.filter((f) => byFile.get(f)!.length >= 50);
  for (let i = 0; i < options.passages; i++) {
    const glosses = byFile.get(pick(topics))!;
    const count = 10 + Math.floor(random() * 11);
    texts.push(Array.from({ length: count }, () => pick(glosses)).join(' '));
  }
  return texts;
}
