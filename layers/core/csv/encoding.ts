import { isUtf8 } from 'node:buffer';
import { InputError } from '../errors.ts';

/**
 * The encoding contract of CSV input: UTF-8 only, checked byte for byte. A file in another encoding fails with a
 * message that names the encoding or the first byte that is not UTF-8 (and its line), never with U+FFFD in place of
 * the user's characters. Decoding is not attempted: the fan-out reads byte ranges of the original object, so the
 * bytes the parser sees must be the file's own.
 *
 * Plain Uint8Array code, so the page runs it too: its bundle maps `node:buffer` to a `TextDecoder`-based `isUtf8`
 * (layers/web/shims/), the same WHATWG definition of valid UTF-8 that Node's `isUtf8` checks.
 */

/** UTF-16/32 by their byte-order mark, or without one by the NUL bytes that ASCII header names get in them. */
export function unsupportedEncoding(start: Uint8Array): string | undefined {
  const [a, b, c, d] = start;
  if (a === 0xff && b === 0xfe && c === 0 && d === 0) return 'UTF-32LE';
  if (a === 0 && b === 0 && c === 0xfe && d === 0xff) return 'UTF-32BE';
  if (a === 0xff && b === 0xfe) return 'UTF-16LE';
  if (a === 0xfe && b === 0xff) return 'UTF-16BE';
  if (start.length >= 4 && a === 0 && b === 0 && c === 0 && d !== 0) return 'UTF-32BE';
  if (start.length >= 4 && a !== 0 && b === 0 && c === 0 && d === 0) return 'UTF-32LE';
  if (start.length >= 2 && a === 0 && b !== 0) return 'UTF-16BE';
  if (start.length >= 2 && a !== 0 && b === 0) return 'UTF-16LE';
  return undefined;
}

/** The bytes of `parts` in one array (no copy for a single part). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Length of a character cut off at the end of `bytes` (its lead byte says how long it should be), else 0. */
function incompleteTail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const byte = bytes[bytes.length - back]!;
    if ((byte & 0xc0) === 0x80) continue;
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

function validPrefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/**
 * Offset of the first byte that is not UTF-8 (of the first invalid sequence, or of a character cut off at the end);
 * undefined when every byte is. The CSV reader and the API's JSON bodies share this rule.
 */
export function firstInvalidUtf8Byte(bytes: Buffer): number | undefined {
  return isUtf8(bytes) ? undefined : firstInvalidByte(bytes);
}

/** Offset of the first byte of the first invalid sequence in bytes known to be invalid (only on the failure path). */
function firstInvalidByte(bytes: Uint8Array): number {
  let valid = 0;
  let invalid = bytes.length;
  while (invalid - valid > 1) {
    const mid = (valid + invalid) >>> 1;
    if (validPrefix(bytes.subarray(0, mid))) valid = mid;
    else invalid = mid;
  }
  return valid - incompleteTail(bytes.subarray(0, valid));
}

/** Line breaks as the reader counts lines (CRLF, LF, CR); `afterCR` when the previous bytes ended with a CR. */
function lineBreaks(bytes: Uint8Array, afterCR: boolean): number {
  let count = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) count++;
  for (let i = bytes.indexOf(13); i !== -1; i = bytes.indexOf(13, i + 1)) if (bytes[i + 1] !== 10) count++;
  return afterCR && bytes[0] === 10 ? count - 1 : count;
}

function notUtf8(bytes: Uint8Array, line: number, afterCR: boolean): InputError {
  const at = firstInvalidByte(bytes);
  const where = line + lineBreaks(bytes.subarray(0, at), afterCR);
  const hex = `0x${bytes[at]!.toString(16).toUpperCase().padStart(2, '0')}`;
  return new InputError(
    'invalid_utf8',
    `the file is not UTF-8: line ${where} holds the byte ${hex}, which is not UTF-8 text (the file was probably saved as Windows-1252 or Latin-1); save it as UTF-8 ("CSV UTF-8" in Excel) and upload it again`,
    [{ line: where, message: `byte ${hex} is not UTF-8` }],
  );
}

/**
 * Passes the bytes through unchanged, failing at the first byte that is not UTF-8. A character split between two
 * chunks is held back until it is complete; `firstLine` is the line the bytes start on.
 */
export async function* checkedUtf8<T extends Uint8Array>(
  chunks: AsyncIterable<T>,
  firstLine = 1,
): AsyncGenerator<Uint8Array> {
  let held: Uint8Array = new Uint8Array(0);
  let line = firstLine;
  let afterCR = false;
  for await (const chunk of chunks) {
    const bytes = held.length > 0 ? concatBytes([held, chunk]) : chunk;
    const complete = bytes.subarray(0, bytes.length - incompleteTail(bytes));
    if (!isUtf8(complete)) throw notUtf8(complete, line, afterCR);
    line += lineBreaks(complete, afterCR);
    if (complete.length > 0) afterCR = complete[complete.length - 1] === 13;
    held = bytes.subarray(complete.length);
    if (complete.length > 0) yield complete;
  }
  if (held.length > 0) throw notUtf8(held, line, afterCR);
}
