/**
 * Does this Accept header ask for HTML rather than JSON? Only when `text/html` is named explicitly and ranks
 * above what the header gives `application/json` (exactly, by `application/*`, or by a wildcard). So a browser
 * (`text/html,…,*\/*;q=0.8`) gets the page, and curl (`*\/*`), fetch() and the prototype's clients, which never
 * name text/html, keep the JSON welcome; a tie keeps JSON too.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(',').map((part) => {
    const [type = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const quality = q === undefined ? 1 : Number(q.slice(2));
    return { type: type.trim(), quality: Number.isFinite(quality) ? quality : 0 };
  });
  const qualityOf = (candidates: string[]): number | undefined => {
    for (const candidate of candidates) {
      const match = ranges.find((r) => r.type === candidate);
      if (match) return match.quality;
    }
    return undefined;
  };
  const html = qualityOf(['text/html']);
  if (html === undefined || html <= 0) return false;
  const json = qualityOf(['application/json', 'application/*', '*/*']) ?? 0;
  return html > json;
}
