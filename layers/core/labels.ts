/** The four groups, in the order every model, CSV column and metric uses. */
export const LABELS = ['cardiovascular', 'hepatorenal', 'neurological', 'oncological'] as const;
export type LabelName = (typeof LABELS)[number];

export const SHORT_NAMES = ['cardio', 'hepato', 'neuro', 'onco'] as const;
export type ShortName = (typeof SHORT_NAMES)[number];

export const SHORT_OF: Readonly<Record<LabelName, ShortName>> = {
  cardiovascular: 'cardio',
  hepatorenal: 'hepato',
  neurological: 'neuro',
  oncological: 'onco',
};

const BY_ANY_NAME = new Map<string, number>();
LABELS.forEach((name, i) => {
  BY_ANY_NAME.set(name, i);
  BY_ANY_NAME.set(SHORT_NAMES[i]!, i);
});

/** Index of a label given in full or short form, any case and surrounding spaces; undefined when unknown. */
export function labelIndex(name: string): number | undefined {
  return BY_ANY_NAME.get(name.trim().toLowerCase());
}

/** A cell that is not a label set: its unknown names, and how many of its `|`-separated labels are empty. */
export type LabelParse = { ok: true; indices: number[] } | { ok: false; unknown: string[]; empty: number };

/**
 * Parses a `group` cell: labels joined by `|`, full or short names, any case, spaces around each allowed.
 * An empty cell is an empty label set; an empty label inside a set (`cardio|`, `neuro||onco`) makes the cell
 * invalid, like an unknown one. Duplicates collapse; indices come back sorted.
 */
export function parseLabelSet(cell: string): LabelParse {
  if (cell.trim() === '') return { ok: true, indices: [] };
  const parts = cell.split('|').map((p) => p.trim());
  const unknown: string[] = [];
  let empty = 0;
  const set = new Set<number>();
  for (const part of parts) {
    if (part === '') {
      empty++;
      continue;
    }
    const i = labelIndex(part);
    if (i === undefined) unknown.push(part);
    else set.add(i);
  }
  if (unknown.length > 0 || empty > 0) return { ok: false, unknown, empty };
  return { ok: true, indices: [...set].sort((a, b) => a - b) };
}

/** Labels joined the way the CSV contract writes them. */
export function formatLabelSet(indices: readonly number[]): string {
  return indices.map((i) => LABELS[i]).join('|');
}
