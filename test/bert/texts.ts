import { SeededRandom } from '../../layers/export/rng.ts';

/** Sentences that exercise the tokenizer: medical terms, punctuation, accents, numbers, odd whitespace, non-Latin. */
export const TOKENIZER_SENTENCES = [
  'Myocardial infarction in patients with type 2 diabetes mellitus.',
  'Hepatorenal syndrome (HRS) after TIPS: a 12-month follow-up of 1,024 patients; p<0.001.',
  'Glioblastoma multiforme — IDH1/IDH2 wild-type — treated with temozolomide 75 mg/m² daily.',
  'Naïve café patients with Guillain–Barré syndrome and Sjögren’s disease.',
  'ÉTUDE RÉTROSPECTIVE: l’insuffisance cardiaque à fraction d’éjection préservée.',
  'Non-small-cell lung cancer (NSCLC), EGFR-mutant, 3.5±0.2 cm, stage IIIA/B.',
  'Serum creatinine 1.8 mg/dL (159 µmol/L) and eGFR < 45 mL/min/1.73m2.',
  'Tab\tseparated\nnew lines\r\nand  multiple   spaces',
  'Chinese characters 心脏病 and Greek α-synuclein, β-blockers, κB.',
  'Zero\u200bwidth and soft\u00adhyphen and control\u0007char',
  'Pneumonoultramicroscopicsilicovolcanoconiosis and antidisestablishmentarianism.',
  'E. coli O157:H7 & Staph. aureus (MRSA) in 45% [95% CI 40–50].',
  '',
];

const WORDS = [
  'patients',
  'with',
  'acute',
  'chronic',
  'myocardial',
  'infarction',
  'heart',
  'failure',
  'coronary',
  'artery',
  'disease',
  'hypertension',
  'atrial',
  'fibrillation',
  'stroke',
  'cerebral',
  'ischemia',
  'epilepsy',
  'seizures',
  'dementia',
  'alzheimer',
  'parkinson',
  'multiple',
  'sclerosis',
  'neuropathy',
  'liver',
  'cirrhosis',
  'hepatitis',
  'renal',
  'kidney',
  'injury',
  'dialysis',
  'transplant',
  'creatinine',
  'tumor',
  'carcinoma',
  'metastatic',
  'breast',
  'cancer',
  'lymphoma',
  'leukemia',
  'chemotherapy',
  'radiotherapy',
  'survival',
  'randomized',
  'trial',
  'cohort',
  'study',
  'outcomes',
  'mortality',
  'treatment',
  'therapy',
  'clinical',
  'we',
  'evaluated',
  'the',
  'of',
  'in',
  'and',
  'a',
  'was',
  'were',
  'associated',
  'increased',
  'risk',
  'significantly',
  'reduced',
  'compared',
  'years',
  'mg',
  '95%',
  'ci',
  'p',
  '<',
  '0.05',
  '(',
  ')',
  ',',
  '.',
  'hazard',
  'ratio',
  'follow-up',
  'baseline',
  'biomarkers',
  'mri',
];

/** A fixed set of abstract-like texts of varied length (8–400 words), identical on every run. */
export function syntheticAbstracts(count: number, seed = 42): string[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: count }, () => {
    const n = 8 + Math.floor(rng.next() ** 2 * 392);
    return Array.from({ length: n }, () => WORDS[Math.floor(rng.next() * WORDS.length)]!).join(' ');
  });
}

/** A 2,000-word abstract (words, numbers, punctuation, accents): truncation to 256 tokens always happens. */
export function longAbstract(words = 2000, seed = 7): string {
  const rng = new SeededRandom(seed);
  const extra = ['Sjögren’s', 'naïve', 'Guillain–Barré', '12.5', 'mg/kg', 'IL-6', 'TNF-α', 'eGFR;'];
  return Array.from({ length: words }, () => {
    const pool = rng.next() < 0.1 ? extra : WORDS;
    return pool[Math.floor(rng.next() * pool.length)]!;
  }).join(' ');
}
