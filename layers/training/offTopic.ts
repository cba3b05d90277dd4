import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mulberry32, shuffleInPlace } from '#core/random.ts';
import { MEDICAL_WORDS } from './background.ts';

/**
 * Non-medical English found on this machine, to measure (never to train on) how the model answers text that is not
 * an abstract: licence texts (/usr/share/common-licenses), package documentation and release notes (/usr/share/doc,
 * gzipped or not), the READMEs of the npm packages in node_modules, and fortunes (Debian's `fortunes-min`, when
 * installed). Paragraphs of 20–400 words and single sentences of 4–24 words, each without a medical word, sampled
 * deterministically from the sorted file list. The sources differ from the training background (WordNet glosses),
 * so the figures say how the rule carries over to text it was not built on.
 */

export interface OffTopicTexts {
  paragraphs: string[];
  sentences: string[];
  /** The folders read, for the printed figures. */
  sources: string[];
}

const ROOTS = ['/usr/share/common-licenses', '/usr/share/doc', '/usr/share/games/fortunes'];

function files(root: string, depth = 3): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    const path = join(root, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) continue;
    if (stat.isDirectory() && depth > 0) out.push(...files(path, depth - 1));
    else if (stat.isFile() && stat.size < 2_000_000 && !/\.(?:dat|u8|html?|png|svg|jpg|pdf|js|py|c|h)$/i.test(name))
      out.push(path);
  }
  return out;
}

function text(path: string): string {
  const bytes = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
}

/** Prose only: markdown code, links, markup and list bullets out, white space collapsed. */
function prose(paragraph: string): string {
  return paragraph
    .replace(/`[^`]*`/g, ' ')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/^[\s>*#=+-]+/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const words = (s: string): number => s.split(' ').filter((w) => /^[A-Za-z][a-z'-]+[.,;:!?"]?$/.test(w)).length;

export function offTopicTexts(repoRoot: string, count = 300, seed = 11): OffTopicTexts {
  const paths = [
    ...ROOTS.flatMap((r) => files(r)),
    ...files(join(repoRoot, 'node_modules'), 2).filter((p) => /readme/i.test(p)),
  ];
  const paragraphs: string[] = [];
  const sentences: string[] = [];
  for (const path of paths) {
    let content: string;
    try {
      content = text(path);
    } catch {
      continue;
    }
    if (content.includes('\u0000')) continue;
    // Fortune files separate entries with "%" lines; everything else with blank lines. Code blocks go first.
    const blocks = content.replace(/```[\s\S]*?```/g, '\n\n').split(/\n\s*(?:%\s*)?\n/);
    for (const block of blocks) {
      const clean = prose(block);
      if (MEDICAL_WORDS.test(clean) || /[{}<>|\\]|https?:|@|\.\w+\(/.test(clean)) continue;
      const n = words(clean);
      if (n >= 20 && n <= 400 && n >= 0.7 * clean.split(' ').length) paragraphs.push(clean);
      const first = /^[A-Z][^.!?]*[.!?]/.exec(clean)?.[0];
      if (first) {
        const m = words(first);
        if (m >= 4 && m <= 24 && m >= 0.8 * first.split(' ').length) sentences.push(first);
      }
    }
  }
  const random = mulberry32(seed);
  const sample = (items: string[]) => {
    return shuffleInPlace([...new Set(items)], random).slice(0, count);
  };
  return {
    paragraphs: sample(paragraphs),
    sentences: sample(sentences),
    sources: ROOTS.filter(existsSync).concat('node_modules/*/README*'),
  };
}
