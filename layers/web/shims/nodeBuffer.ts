/**
 * `node:buffer` for the page's bundle: the core's CSV encoding check (layers/core/csv/encoding.ts) imports
 * `isUtf8` from it. A fatal TextDecoder accepts exactly the byte sequences that Node's `isUtf8` accepts (both
 * follow the WHATWG definition of UTF-8: no overlongs, no surrogates, nothing above U+10FFFF).
 */
const strict = new TextDecoder('utf-8', { fatal: true });

export function isUtf8(bytes: Uint8Array): boolean {
  try {
    strict.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
