/**
 * Is an evaluated file the model's own training data? Metrics on rows the model was trained on are in-sample (a
 * weighted F1 of 0.99 there says little about new abstracts), so the page, the CLI and the reports say so when
 *
 * - the file is the training file itself: its SHA-256 equals `model.json` → `provenance.data.sha256`; or
 * - most of its rows are training rows: at least IN_SAMPLE_SHARE (50 %) of its rows have a normalised text whose
 *   fingerprint is among the training rows' fingerprints (the model folder's `training-fingerprints.bin`).
 *
 * A smaller overlap is reported as a share, without the warning. Pure and platform-neutral (no Node import):
 * the page runs it in the browser on the same rows and gets the same verdict.
 *
 * Fingerprint of a row: FNV-1a 64 (the published offset basis and prime) over the UTF-8 bytes of its text
 * `title + " " + abstract`, normalised by NFKC, lower case, and every run of whitespace made one space, trimmed,
 * so a re-saved copy (other line ends, trailing spaces, case) still matches. Not a cryptographic hash: it
 * identifies rows, it does not hide them (the training data's membership is what it is meant to reveal).
 */

import { isAscii } from './text.ts';

/** Share of a file's rows found among the training rows from which its scores are called in-sample. */
export const IN_SAMPLE_SHARE = 0.5;

/** The file in a model folder that holds the training rows' fingerprints (optional: older folders lack it). */
export const FINGERPRINTS_FILE = 'training-fingerprints.bin';

/** File layout: the 4 ASCII bytes `TFP1`, the count as uint32 big-endian, then the sorted distinct fingerprints as uint64 big-endian. */
const MAGIC = [0x54, 0x46, 0x50, 0x31] as const;
const HEADER_BYTES = 8;

const encoder = new TextEncoder();

export function normalisedText(text: string): string {
  // NFKC leaves ASCII as it is: skip it for the common case (a third of the cost of a fingerprint otherwise).
  return (isAscii(text) ? text : text.normalize('NFKC')).toLowerCase().replace(/\s+/g, ' ').trim();
}

/** FNV-1a 64 state in four 16-bit limbs (exact in doubles, no BigInt per byte), least significant first. */
class Fnv1a64 {
  // Offset basis 0xcbf29ce484222325.
  h0 = 0x2325;
  h1 = 0x8422;
  h2 = 0x9ce4;
  h3 = 0xcbf2;

  byte(b: number): void {
    this.h0 ^= b;
    // × the prime 0x100000001b3 = 2^40 + 0x1b3: limb k gets h_k·0x1b3 + h_(k-2)·0x100 (2^40 = limb 2, × 2^8).
    const t0 = this.h0 * 0x1b3;
    let t1 = this.h1 * 0x1b3;
    let t2 = this.h2 * 0x1b3 + this.h0 * 0x100;
    let t3 = this.h3 * 0x1b3 + this.h1 * 0x100;
    this.h0 = t0 & 0xffff;
    t1 += t0 >>> 16;
    this.h1 = t1 & 0xffff;
    t2 += t1 >>> 16;
    this.h2 = t2 & 0xffff;
    t3 += t2 >>> 16;
    this.h3 = t3 & 0xffff;
  }

  value(): bigint {
    return (BigInt(this.h3) << 48n) | (BigInt(this.h2) << 32n) | (BigInt(this.h1) << 16n) | BigInt(this.h0);
  }
}

/** FNV-1a 64 of the UTF-8 bytes of `normalisedText(text)`. */
export function fingerprint(text: string): bigint {
  const hash = new Fnv1a64();
  if (!isAscii(text)) {
    for (const b of encoder.encode(normalisedText(text))) hash.byte(b);
    return hash.value();
  }
  // ASCII: the same normalisation in one pass, without building the normalised string (a row streams by once).
  let pendingSpace = false;
  let started = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || (c >= 0x09 && c <= 0x0d)) {
      pendingSpace = started;
      continue;
    }
    if (pendingSpace) hash.byte(0x20);
    pendingSpace = false;
    started = true;
    hash.byte(c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
  }
  return hash.value();
}

/**
 * The fingerprints file for a model trained on `texts` (each `title + " " + abstract`): deterministic, the same
 * bytes for the same texts in any order, 8 + 8 × distinct rows bytes (23.7 KB for 2,964 rows).
 */
export function trainingFingerprints(texts: Iterable<string>): Uint8Array {
  const distinct = [...new Set(Array.from(texts, fingerprint))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = new Uint8Array(HEADER_BYTES + 8 * distinct.length);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  view.setUint32(4, distinct.length, false);
  distinct.forEach((fp, i) => {
    view.setBigUint64(HEADER_BYTES + 8 * i, fp, false);
  });
  return bytes;
}

/** The training rows' fingerprints, read from the file `trainingFingerprints` writes. */
export class TrainingFingerprints {
  readonly #sorted: BigUint64Array;

  constructor(bytes: Uint8Array) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = bytes.length >= HEADER_BYTES ? view.getUint32(4, false) : -1;
    if (!MAGIC.every((b, i) => bytes[i] === b) || bytes.length !== HEADER_BYTES + 8 * count)
      throw new Error(`not a ${FINGERPRINTS_FILE} file (expected "TFP1", a count and that many 8-byte fingerprints)`);
    this.#sorted = new BigUint64Array(count);
    for (let i = 0; i < count; i++) this.#sorted[i] = view.getBigUint64(HEADER_BYTES + 8 * i, false);
  }

  get size(): number {
    return this.#sorted.length;
  }

  has(fp: bigint): boolean {
    let lo = 0;
    let hi = this.#sorted.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.#sorted[mid]!;
      if (at === fp) return true;
      if (at < fp) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

/** What the model folder tells about its training data; every part optional (older folders, other backends). */
export interface TrainingData {
  /** `provenance.data.sha256` of model.json. */
  sha256?: string;
  fingerprints?: TrainingFingerprints;
}

/** Counts a file's rows found among the training rows, one row at a time (the CLI streams, the page loops). */
export class OverlapCounter {
  rows = 0;
  matched = 0;
  constructor(private readonly fingerprints: TrainingFingerprints | undefined) {}

  add(text: string): void {
    this.rows++;
    if (this.fingerprints?.has(fingerprint(text))) this.matched++;
  }

  /** What `inSampleCheck` takes: the rows, and the matched rows only when there were fingerprints to match. */
  counts(): { rows: number; matchedRows?: number } {
    return { rows: this.rows, ...(this.fingerprints ? { matchedRows: this.matched } : {}) };
  }
}

export interface InSampleCheck {
  /** The file's SHA-256 equals the training file's. */
  sameFile: boolean;
  /** Rows whose text is among the training rows; undefined when the model folder has no fingerprints. */
  matchedRows?: number;
  rows: number;
  /** The scores are in-sample: the same file, or at least IN_SAMPLE_SHARE of its rows. */
  inSample: boolean;
  /** One sentence for people, empty when there is nothing to say. */
  message: string;
}

const percent = (x: number): string => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)} %`;

export function inSampleCheck(
  training: TrainingData,
  file: { sha256?: string; rows: number; matchedRows?: number },
): InSampleCheck {
  const sameFile =
    training.sha256 !== undefined &&
    file.sha256 !== undefined &&
    training.sha256.toLowerCase() === file.sha256.toLowerCase();
  // Rows are counted against the fingerprints only when the model folder has them (the caller says so by giving
  // `matchedRows`): the fan-out's aggregate has the counts of its parts, not the fingerprints themselves.
  const matched = file.matchedRows;
  const share = matched === undefined || file.rows === 0 ? 0 : matched / file.rows;
  const inSample = sameFile || share >= IN_SAMPLE_SHARE;
  const counted = matched === undefined ? '' : `${matched} of ${file.rows} rows (${percent(share)})`;
  let message = '';
  if (sameFile)
    message = `In-sample: this file is the model's training file (same SHA-256 as model.json's provenance), so these scores measure how well the model fits its own training rows, not how it does on new abstracts.`;
  else if (inSample)
    message = `In-sample: ${counted} are training rows of the model (same normalised text), so these scores mostly measure how well it fits its own training data, not how it does on new abstracts.`;
  else if (matched)
    message = `${counted} are training rows of the model (same normalised text); scores on them are in-sample.`;
  return { sameFile, ...(matched === undefined ? {} : { matchedRows: matched }), rows: file.rows, inSample, message };
}

/** The message without its "In-sample: " lead, for a page that puts its own heading before it. */
export function messageBody(check: InSampleCheck): string {
  const body = check.message.replace(/^In-sample: /, '');
  return body.charAt(0).toUpperCase() + body.slice(1);
}
