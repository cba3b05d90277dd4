/**
 * "Call this from code": the request the page just sent, as a curl command and as JavaScript `fetch`, for the
 * text in the form. Pure strings (tested); the page shows them with a copy button.
 */
export interface SnippetInput {
  /** Absolute URL of POST /predict as this page reaches it. */
  url: string;
  title: string;
  abstract: string;
}

function body({ title, abstract }: SnippetInput): { items: { title: string; abstract: string }[] } {
  return { items: [{ title, abstract }] };
}

/** A POSIX shell single-quoted string: every `'` becomes `'\''`. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

export function curlSnippet(input: SnippetInput): string {
  return [
    `curl -X POST ${shellQuote(input.url)} \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d ${shellQuote(JSON.stringify(body(input)))}`,
  ].join('\n');
}

export function fetchSnippet(input: SnippetInput): string {
  return [
    `const response = await fetch(${JSON.stringify(input.url)}, {`,
    `  method: 'POST',`,
    `  headers: { 'Content-Type': 'application/json' },`,
    `  body: JSON.stringify(${JSON.stringify(body(input), null, 2).replace(/\n/g, '\n  ')}),`,
    '});',
    'const [prediction] = await response.json();',
    'console.log(prediction.labels, prediction.proba);',
  ].join('\n');
}
