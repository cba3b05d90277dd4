import { DEFAULT_ROUTER, TEXT_KINDS } from '#model/router.ts';
import { DEFAULT_BACKGROUND } from './background.ts';
import type { ExpertPlan, ExpertSpec } from './experts.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './fit.ts';

/**
 * The expert plans model selection compares (scripts/select-model.ts --kinds) and the one training ships
 * (`SHIPPED_PLAN`). Every figure quoted in the README comes from running these through the same cross-validation.
 */

const tfidf = (patch: Partial<TrainConfig> = {}, features: Partial<TrainConfig['features']> = {}): TrainConfig => ({
  ...DEFAULT_TRAIN_CONFIG,
  ...patch,
  features: { ...DEFAULT_TRAIN_CONFIG.features, ...features },
});

/** Binary presence of word 1–2-grams and char_wb 2–5-grams, each row × nnz^-1/4. */
const binary = (patch: Partial<TrainConfig> = {}, features: Partial<TrainConfig['features']> = {}): TrainConfig =>
  tfidf(patch, { charNgrams: [2, 5], sublinearTf: false, weighting: 'binary', rowScalePower: 0.25, ...features });

const realExpert = (config: TrainConfig = binary()): ExpertSpec => ({
  kinds: ['real'],
  config,
  trainOn: { rows: ['real'] },
  calibrate: true,
});
const templateExpert = (config: TrainConfig = tfidf({ C: 1 })): ExpertSpec => ({
  kinds: ['template'],
  config,
  trainOn: { rows: ['template'] },
  calibrate: true,
});
const snippetExpert = (config: TrainConfig, trainOn: ExpertSpec['trainOn']): ExpertSpec => ({
  kinds: ['snippet'],
  config,
  trainOn,
  calibrate: true,
});

// Short labelled rows (kind snippet) are rare in abstracts files but, when present, are exactly what this expert is for.
const SNIPPETS_OF_REAL = { from: ['real', 'snippet'], sources: ['title', 'firstSentence'] } as const;

export const PLANS: Record<string, ExpertPlan> = {
  /** Today's model: one NB-LR on every row, thresholds tuned (the baseline every kind must beat). */
  single: {
    router: DEFAULT_ROUTER,
    experts: [{ kinds: TEXT_KINDS, config: tfidf(), trainOn: { rows: TEXT_KINDS }, calibrate: false }],
  },
  /** A router, each expert on its own rows with the same features as today. */
  'router-same-features': {
    router: DEFAULT_ROUTER,
    experts: [realExpert(tfidf()), templateExpert(tfidf()), snippetExpert(tfidf(), { rows: ['real', 'template'] })],
  },
  /** Real expert binary, template expert C 1; snippets answered by today's single model. */
  'binary-real+single-snippet': {
    router: DEFAULT_ROUTER,
    experts: [realExpert(), templateExpert(), snippetExpert(tfidf(), { rows: ['real', 'template'] })],
  },
  /** Snippet expert trained on snippets derived from real rows plus the real rows themselves. */
  'snippet-from-real': {
    router: DEFAULT_ROUTER,
    experts: [
      realExpert(),
      templateExpert(),
      snippetExpert(tfidf(), { rows: ['real', 'snippet'], snippets: SNIPPETS_OF_REAL }),
    ],
  },
  'snippet-from-real-c10': {
    router: DEFAULT_ROUTER,
    experts: [
      realExpert(),
      templateExpert(),
      snippetExpert(tfidf({ C: 10 }), { rows: ['real', 'snippet'], snippets: SNIPPETS_OF_REAL }),
    ],
  },
  'snippet-from-all': {
    router: DEFAULT_ROUTER,
    experts: [
      realExpert(),
      templateExpert(),
      snippetExpert(tfidf(), {
        rows: ['real', 'template'],
        snippets: { from: ['real', 'template'], sources: ['title', 'firstSentence'] },
      }),
    ],
  },
  'snippet-binary': {
    router: DEFAULT_ROUTER,
    experts: [
      realExpert(),
      templateExpert(),
      snippetExpert(binary(), { rows: ['real', 'snippet'], snippets: SNIPPETS_OF_REAL }),
    ],
  },
};

const withLexicon = (config: TrainConfig): TrainConfig => ({
  ...config,
  features: { ...config.features, lexicon: true },
});

/** Today's experts, each trained with the background texts of its kind as label-free samples (honest priors). */
const backgroundPlan = (lexicon: boolean): ExpertPlan => {
  const base = PLANS['snippet-from-real']!;
  return {
    ...base,
    background: DEFAULT_BACKGROUND,
    experts: base.experts.map((e) =>
      e.kinds.includes('template')
        ? e
        : { ...e, config: lexicon ? withLexicon(e.config) : e.config, trainOn: { ...e.trainOn, background: true } },
    ),
  };
};
PLANS.background = backgroundPlan(false);
PLANS['background+lexicon'] = backgroundPlan(true);
PLANS.lexicon = {
  ...PLANS['snippet-from-real']!,
  experts: PLANS['snippet-from-real']!.experts.map((e) =>
    e.kinds.includes('template') ? e : { ...e, config: withLexicon(e.config) },
  ),
};

/**
 * Honest answers: the lexicon block in the real and snippet experts (vocabulary shift), the snippet expert trained
 * with every background text as well (no evidence, no label), and the scope rule: a long text that matches no
 * lexicon term is answered by that honest expert when even its best label stays below 0.5.
 */
const honestPlan = (below: number): ExpertPlan => {
  const base = PLANS.lexicon!;
  return {
    ...base,
    background: DEFAULT_BACKGROUND,
    scope: { honest: 'snippet', kinds: ['real'], below },
    experts: base.experts.map((e) =>
      e.kinds.includes('snippet') ? { ...e, trainOn: { ...e.trainOn, background: true } } : e,
    ),
  };
};
PLANS.honest = honestPlan(0.5);
PLANS['honest-0.3'] = honestPlan(0.3);

export const SHIPPED_PLAN_NAME = 'honest';
export const SHIPPED_PLAN: ExpertPlan = PLANS[SHIPPED_PLAN_NAME]!;
