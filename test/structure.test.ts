import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../infra/config.ts';

/**
 * Imports run one way. The module graph of the TypeScript sources (functions, layers, infra, scripts, test), built
 * from their import/export-from statements and the package.json subpath aliases, must have no cycle (a load-order
 * trap: a top-level line added to one module of a cycle fails only some entry points), scripts never import test/,
 * infra never imports scripts/, and inside layers/ a module reaches another folder (core, adapters, training, ...)
 * by its alias, never by a relative path.
 */

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { imports: Record<string, string> };
const ALIASES = Object.entries(pkg.imports).map(([from, to]) => [from.replace('*', ''), to.replace('*', '')] as const);
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

function gitFiles(): string[] {
  // The tracked and new TypeScript files, as git sees them (no node_modules, no build output).
  const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.ts'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter((f) => f !== '' && /^(functions|layers|infra|scripts|test)\//.test(f) && existsSync(join(REPO_ROOT, f)));
}

function resolveSpecifier(from: string, spec: string): string | undefined {
  for (const [alias, target] of ALIASES)
    if (spec.startsWith(alias)) return relative(REPO_ROOT, resolve(REPO_ROOT, target, spec.slice(alias.length)));
  if (spec.startsWith('.')) return relative(REPO_ROOT, resolve(dirname(join(REPO_ROOT, from)), spec));
  return undefined;
}

interface Edge {
  from: string;
  to: string;
  spec: string;
}

function edges(files: readonly string[]): Edge[] {
  const known = new Set(files);
  const out: Edge[] = [];
  for (const from of files) {
    const text = readFileSync(join(REPO_ROOT, from), 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const spec = (match[1] ?? match[2])!;
      const to = resolveSpecifier(from, spec);
      if (to !== undefined && known.has(to)) out.push({ from, to, spec });
    }
  }
  return out;
}

/** Every cycle's members, found with Tarjan's strongly connected components. */
function cycles(files: readonly string[], graph: readonly Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of graph) next.get(e.from)!.push(e.to);
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    order.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) === order.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || next.get(v)!.includes(v)) found.push(component.sort());
    }
  };
  for (const f of files) if (!order.has(f)) visit(f);
  return found;
}

const files = gitFiles();
const graph = edges(files);
const top = (path: string): string => path.split('/')[0]!;
const layersFolder = (path: string): string | undefined => (top(path) === 'layers' ? path.split('/')[1] : undefined);

describe('the import graph', () => {
  it('is read from the sources (sanity: the known entry points and their imports are there)', () => {
    expect(files).toContain('functions/evaluate/handler.ts');
    expect(graph.some((e) => e.from === 'functions/evaluate/handler.ts')).toBe(true);
  });

  it('has no import cycle', () => {
    expect(cycles(files, graph)).toEqual([]);
  });

  it('has no import from scripts/ into test/, nor from infra/ into scripts/', () => {
    const wrong = graph.filter(
      (e) =>
        (top(e.from) === 'scripts' && top(e.to) === 'test') || (top(e.from) === 'infra' && top(e.to) === 'scripts'),
    );
    expect(wrong.map((e) => `${e.from} → ${e.spec}`)).toEqual([]);
  });

  it('crosses folders inside layers/ only through the package.json aliases', () => {
    const relativeCrossing = graph.filter(
      (e) =>
        e.spec.startsWith('.') && layersFolder(e.from) !== undefined && layersFolder(e.to) !== layersFolder(e.from),
    );
    expect(relativeCrossing.map((e) => `${e.from} → ${e.spec}`)).toEqual([]);
  });

  it('finds a cycle when there is one (the detector itself)', () => {
    const a = 'layers/a.ts';
    const b = 'layers/b.ts';
    expect(
      cycles(
        [a, b],
        [
          { from: a, to: b, spec: './b.ts' },
          { from: b, to: a, spec: './a.ts' },
        ],
      ),
    ).toEqual([[a, b]]);
  });
});
