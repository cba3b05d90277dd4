import { mulberry32 } from '#core/random.ts';

/**
 * Synthetic labelled abstracts written by the tests themselves (the shared data set is never needed): each
 * label has its own vocabulary, rows carry one to four labels, and some fields need RFC 4180 quoting.
 */
const VOCAB: Record<string, string[]> = {
  cardiovascular: [
    'myocardial infarction',
    'coronary artery disease',
    'heart failure',
    'atrial fibrillation',
    'hypertension',
    'troponin',
  ],
  hepatorenal: [
    'acute kidney injury',
    'hepatic cirrhosis',
    'renal failure',
    'creatinine clearance',
    'liver transplantation',
    'dialysis',
  ],
  neurological: [
    'ischemic stroke',
    'epileptic seizures',
    'multiple sclerosis',
    'dementia',
    'parkinson disease',
    'cerebral cortex',
  ],
  oncological: [
    'breast carcinoma',
    'tumor metastasis',
    'chemotherapy',
    'lymphoma',
    'malignant neoplasm',
    'radiotherapy',
  ],
};
const LABELS = Object.keys(VOCAB);
const SHORT: Record<string, string> = {
  cardiovascular: 'cardio',
  hepatorenal: 'hepato',
  neurological: 'neuro',
  oncological: 'onco',
};

export interface FixtureOptions {
  rows: number;
  seed?: number;
  delimiter?: ',' | ';' | '\t';
  labelled?: boolean;
  extraColumn?: boolean;
}

function quote(field: string, delimiter: string): string {
  return /["\r\n]/.test(field) || field.includes(delimiter) ? `"${field.replace(/"/g, '""')}"` : field;
}

export function syntheticCsv({
  rows,
  seed = 1,
  delimiter = ',',
  labelled = true,
  extraColumn = false,
}: FixtureOptions): string {
  const random = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const header = [...(extraColumn ? ['id'] : []), 'title', 'abstract', ...(labelled ? ['group'] : [])];
  const lines = [header.join(delimiter)];
  for (let i = 0; i < rows; i++) {
    const count = random() < 0.7 ? 1 : random() < 0.8 ? 2 : random() < 0.8 ? 3 : 4;
    const labels = [...LABELS].sort(() => random() - 0.5).slice(0, count);
    const phrases = labels.flatMap((l) => [pick(VOCAB[l]!), pick(VOCAB[l]!)]);
    const title = `Study ${i + 1}: ${phrases[0]}${random() < 0.1 ? ', a "pilot"' : ''}`;
    const abstract = `We report patients with ${phrases.join(', ')}.${random() < 0.05 ? '\nSecond paragraph; with a semicolon.' : ''} Outcomes were measured over ${1 + Math.floor(random() * 36)} months.`;
    const group = labels.map((l) => (random() < 0.3 ? SHORT[l]! : l)).join('|');
    lines.push(
      [...(extraColumn ? [String(1000 + i)] : []), title, abstract, ...(labelled ? [group] : [])]
        .map((f) => quote(f, delimiter))
        .join(delimiter),
    );
  }
  return `${lines.join('\n')}\n`;
}
