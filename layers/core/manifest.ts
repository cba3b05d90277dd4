import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_ROUTER, type RouterSettings, TEXT_KINDS, type TextKind } from '#model/router.ts';
import { type ConfidenceRule, DEFAULT_CONFIDENCE_RULE } from './confidence.ts';
import { ModelLoadError } from './errors.ts';
import { acceptManifest } from './manifestFast.ts';
import type { ModelManifest } from './manifestSchema.ts';

export type { ModelManifest } from './manifestSchema.ts';

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, 'model.json');
  let raw: string;
  try {
    raw = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ModelLoadError(`cannot read ${path}: is ${dir} a model folder?`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (cause) {
    throw new ModelLoadError(`${path} is not valid JSON`, { cause });
  }
  // Only a manifest the fast path does not take as it is loads zod (manifestSchema.ts), which then decides.
  return acceptManifest(json) ?? (await import('./manifestSchema.ts')).parseManifest(json, path);
}

/**
 * The routing a model folder was trained with: `router` when the folder has it; otherwise the defaults with the
 * snippet cut-off that older folders recorded (`kinds.snippetMaxTokens`), so old folders route as they always did.
 */
export function routerSettingsOf(manifest: ModelManifest): RouterSettings {
  if (manifest.router) return manifest.router;
  const maxTokens = manifest.kinds?.snippetMaxTokens;
  return maxTokens === undefined ? DEFAULT_ROUTER : { ...DEFAULT_ROUTER, snippet: { maxTokens } };
}

/** The kinds of text the model has an expert of its own for (models with experts by kind; none for one network). */
export function expertKinds(manifest: ModelManifest): TextKind[] | undefined {
  const experts = manifest.backendConfig.experts;
  if (!Array.isArray(experts)) return undefined;
  const kinds = new Set(experts.flatMap((e: { kinds?: unknown }) => (Array.isArray(e.kinds) ? e.kinds : [])));
  return TEXT_KINDS.filter((k) => kinds.has(k));
}

/** The confidence rule a model folder records, or the defaults. */
export const confidenceRuleOf = (manifest: ModelManifest): ConfidenceRule =>
  manifest.confidence ?? DEFAULT_CONFIDENCE_RULE;
