/**
 * Which CDK context keys a synth accepts: the ones `readConfig` reads, plus the keys CDK itself puts into the context.
 * Anything else is a typo (`-c predictMemoryMB=3008`) that would otherwise deploy the default without a word.
 */

/** Keys owned by CDK: feature flags (`@aws-cdk/…`), CLI settings (`aws:cdk:…`). */
const CDK_KEY_PREFIXES = ['@aws-cdk/', 'aws:cdk:'] as const;
/** CDK keys without those prefixes: cdk.json's telemetry switch, `cdk acknowledge`'s list in cdk.context.json. */
const CDK_KEYS: ReadonlySet<string> = new Set(['cli-telemetry', 'acknowledged-issue-numbers']);
/** Cached lookups in cdk.context.json are named `<provider>:account=<id>:region=<region>…`. */
const CDK_LOOKUP_KEY = /^[a-z-]+:account=/;

export function isCdkContextKey(key: string): boolean {
  return CDK_KEY_PREFIXES.some((prefix) => key.startsWith(prefix)) || CDK_KEYS.has(key) || CDK_LOOKUP_KEY.test(key);
}

/** The valid key a misspelt one most likely meant (case-insensitive edit distance), if any is reasonably close. */
export function closestKey(key: string, valid: Iterable<string>): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of valid) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  // Beyond half the key's length a "suggestion" is noise.
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 2)) ? best.key : undefined;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
