/** The text recipe the original model was trained and evaluated with: `title + " " + abstract`, trimmed. */
export function recordText(title: string | undefined, abstract: string | undefined): string {
  return `${title ?? ''} ${abstract ?? ''}`.trim();
}
