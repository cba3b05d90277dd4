/**
 * The router: the kind of a model input text (`title + " " + abstract`), decided once, before any expert sees it.
 * The training file mixes two populations that label the same words differently, and users also send one-liners;
 * the embedded model keeps one expert per kind, and reports are broken down by kind so no average hides one.
 *
 * The rule is code (this module, its one implementation); its settings are data: a model folder carries them in
 * `model.json` (`router`), so a retrained model is served with the routing it was trained and cross-validated with.
 * Rules are tried in order; the first that matches names the kind, and a text no rule matches is `real`:
 * - `template`: the synthetic texts that make up 57 % of `challenge_train.csv`. One of a few fixed openings
 *   ("Hypothesis: ", ... exactly so, case-sensitive, at the start or after white space) **and** a fixed closing
 *   (a lead such as "Conclusion: " and one of ten phrases, then "." at the very end) **and** at most `maxChars`
 *   characters once trimmed. All three must hold, so a real abstract that merely starts with "Background:" is real.
 * - `snippet`: a title or a sentence: at most `maxTokens` word tokens (runs of two or more word characters, the
 *   tokens the models count); the cut-off was chosen by cross-validation (`scripts/select-model.ts --cutoffs`).
 *
 * Adding a kind: a rule here (its settings, its test, its place in `RULE_ORDER`), then an expert in the trainer's plan.
 */

export interface TemplateRule {
  openings: string[];
  closing: { leads: string[]; phrases: string[] };
  maxChars: number;
}

export interface SnippetRule {
  maxTokens: number;
}

/** Every setting of the rule; `model.json` stores exactly this object as `router`. */
export interface RouterSettings {
  template: TemplateRule;
  snippet: SnippetRule;
}

/** The kinds, in the order reports list them: the fallback first, then the rules in the order they are tried. */
export const TEXT_KINDS = ['real', 'template', 'snippet'] as const;
export type TextKind = (typeof TEXT_KINDS)[number];
const RULE_ORDER = ['template', 'snippet'] as const satisfies readonly (keyof RouterSettings & TextKind)[];

/**
 * The settings the embedded model was first trained with; model folders written before routing became data (and
 * models without experts, such as BERT) are routed with these.
 */
export const DEFAULT_ROUTER: RouterSettings = {
  template: {
    openings: [
      'Hypothesis: ',
      'Background: ',
      'Research question: ',
      'Aim: ',
      'Study design: ',
      'Purpose: ',
      'Objective: ',
      'This investigation examined the effects of ',
    ],
    closing: {
      leads: ['Conclusion: ', 'Implications: ', 'These findings suggest '],
      phrases: [
        'clinical practice guidelines',
        'therapeutic innovation',
        'need for further investigation',
        'cost-effectiveness implications',
        'potential therapeutic benefits',
        'healthcare advancement',
        'patient care improvement',
        'safety considerations',
        'clinical relevance',
        'treatment optimization',
      ],
    },
    // The longest template text in the training data is 456 characters; real abstracts are longer.
    maxChars: 600,
  },
  // Chosen by cross-validation on titles and first sentences derived from the training rows.
  snippet: { maxTokens: 24 },
};

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const alternatives = (items: readonly string[]): string => items.map(escapeRegExp).join('|');

/** Word tokens as the models see them: two or more word characters (Python's `\w`). */
const TOKEN_RE = /[\p{L}\p{M}\p{N}\p{Pc}]{2,}/gu;

/** `[A-Za-z0-9_]`: the ASCII characters in `TOKEN_RE`'s class (ASCII has no marks, and `_` is its one Pc). */
const isAsciiWordChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;

/**
 * Word tokens of `text`, counted up to `limit + 1` (enough to tell whether it exceeds `limit`): `TOKEN_RE`'s matches.
 * Its ASCII prefix is scanned by hand (the router asks this of every text, and 25 Unicode-class regex searches were
 * ≈ 2 µs of a real abstract's); from the first non-ASCII code unit on, the regex goes on from the start of the run
 * that unit may extend ("aé" is one token), so the count is the regex's own (a differential test checks it).
 */
export function countTokens(text: string, limit = Number.POSITIVE_INFINITY): number {
  let n = 0;
  let run = -1; // where the current run of ASCII word characters started, or -1
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 127) break;
    if (isAsciiWordChar(c)) {
      if (run < 0) run = i;
    } else if (run >= 0) {
      if (i - run >= 2 && ++n > limit) return n;
      run = -1;
    }
  }
  if (i === text.length) return run >= 0 && i - run >= 2 ? n + 1 : n;
  TOKEN_RE.lastIndex = run >= 0 ? run : i;
  while (TOKEN_RE.exec(text) !== null) if (++n > limit) break;
  return n;
}

export class Router {
  readonly settings: RouterSettings;
  private readonly opening: RegExp;
  private readonly closing: RegExp;
  private readonly tests: Record<(typeof RULE_ORDER)[number], (text: string) => boolean>;

  constructor(settings: RouterSettings = DEFAULT_ROUTER) {
    this.settings = settings;
    const { template, snippet } = settings;
    // Case-sensitive on purpose: the templates are written exactly so, and real abstracts use other casings.
    this.opening = new RegExp(`(?:^|\\s)(?:${alternatives(template.openings)})`);
    this.closing = new RegExp(
      `(?:${alternatives(template.closing.leads)})(?:${alternatives(template.closing.phrases)})\\.$`,
    );
    this.tests = {
      template: (text) => {
        const trimmed = text.trim();
        return trimmed.length <= template.maxChars && this.closing.test(trimmed) && this.opening.test(trimmed);
      },
      snippet: (text) => countTokens(text, snippet.maxTokens) <= snippet.maxTokens,
    };
  }

  /** The kind of a model input text. */
  kindOf(text: string): TextKind {
    for (const kind of RULE_ORDER) if (this.tests[kind](text)) return kind;
    return 'real';
  }

  /** Whether `text` matches the template rule (whatever a rule before it would say). */
  isTemplate(text: string): boolean {
    return this.tests.template(text);
  }
}
