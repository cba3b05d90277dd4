import type { TextExplanation, WordEvidence } from '#core/explanation.ts';
import { type NormalizedText, originalSpan } from '#core/textOffsets.ts';
import type { NgramOrigins } from './ngrams.ts';

/**
 * Exact attribution for linear scores over n-gram features: `logit = bias + Σ_features value × weight`, and every
 * feature's term is handed to the words it occurred in. Generic over how values are computed (TF-IDF, binary
 * presence, any row scaling, any calibration that is affine): the backend gives, per block, each distinct
 * feature's value in the row and its weights, and which distinct feature each occurrence counts towards.
 *
 * Word units (what evidence is given for), defined so that every occurrence has an owner and the sum is exact:
 * - every word token (scikit-learn's `\w\w+`, as the word features see it) is a unit;
 * - a whitespace-separated chunk with no token in it ("(", "5", "%", "—") is a unit of its own;
 * - the other characters of a chunk (punctuation, one-letter words) belong to the token before them in the chunk,
 *   or to the chunk's first token when they come before it ("(troponin)" is all `troponin`).
 * Attribution of one feature's term `value × weight`: split evenly over its occurrences in the row; an occurrence
 * of a word n-gram splits its share evenly over its n tokens (a bigram: half each); an occurrence of a character
 * n-gram (inside one chunk) splits its share evenly over the distinct units owning the characters it covers.
 * Units with the same normalised text are reported as one word with all their spans.
 */

/** One block of a row as the scorer used it. */
export interface ScoredBlock {
  kind: 'word' | 'char';
  /** Per occurrence, in extraction order: the distinct feature (slot) it counts towards, or -1 for one the model ignores. */
  slotOf: Int32Array;
  /** Per slot: the feature's value in the row (after tf, idf, normalisation, ...). */
  value: Float64Array;
  /** Per slot, `labels` weights (slot-major). */
  weights: Float64Array;
}

interface Units {
  start: number[];
  end: number[];
  /** Unit of each token. */
  ofToken: Int32Array;
  /** Unit owning each normalised character; -1 for whitespace. */
  ofChar: Int32Array;
}

function wordUnits(length: number, origins: NgramOrigins): Units {
  const { tokens, chunks } = origins;
  const tokenCount = tokens.length / 2;
  const units: Units = {
    start: [],
    end: [],
    ofToken: new Int32Array(tokenCount),
    ofChar: new Int32Array(length).fill(-1),
  };
  const add = (s: number, e: number): number => {
    units.start.push(s);
    units.end.push(e);
    return units.start.length - 1;
  };
  let t = 0;
  for (let c = 0; c < chunks.length; c += 2) {
    const cs = chunks[c]!;
    const ce = chunks[c + 1]!;
    const first = t;
    while (t < tokenCount && tokens[2 * t]! < ce) t++;
    if (first === t) {
      units.ofChar.fill(add(cs, ce), cs, ce);
      continue;
    }
    for (let k = first; k < t; k++) {
      const u = add(tokens[2 * k]!, tokens[2 * k + 1]!);
      units.ofToken[k] = u;
      units.ofChar.fill(u, k === first ? cs : tokens[2 * k]!, k === t - 1 ? ce : tokens[2 * (k + 1)]!);
    }
  }
  if (t !== tokenCount) throw new Error(`explanation: ${tokenCount - t} word token(s) outside every whitespace chunk`);
  return units;
}

/**
 * Turns a row's scored blocks into per-word evidence. `logit` must be the score the model actually used (its
 * sigmoid is the returned probability); `bias + Σ contributions` equals it up to floating-point rounding.
 */
export function attribute(
  map: NormalizedText,
  origins: NgramOrigins,
  blocks: readonly ScoredBlock[],
  bias: Float64Array,
  logit: Float64Array,
): TextExplanation {
  const L = bias.length;
  const units = wordUnits(map.text.length, origins);
  const sums = new Float64Array(units.start.length * L);
  const owners: number[] = [];
  for (const block of blocks) {
    const where = block.kind === 'word' ? origins.word : origins.char;
    const { slotOf, value, weights } = block;
    if (where.length !== 2 * slotOf.length)
      throw new Error(`explanation: ${slotOf.length} ${block.kind} occurrences but ${where.length / 2} origins`);
    const counts = new Float64Array(value.length);
    for (let i = 0; i < slotOf.length; i++) if (slotOf[i]! >= 0) counts[slotOf[i]!]! += 1;
    for (let i = 0; i < slotOf.length; i++) {
      const slot = slotOf[i]!;
      if (slot < 0) continue;
      owners.length = 0;
      if (block.kind === 'word') {
        for (let k = where[2 * i]!; k <= where[2 * i + 1]!; k++) owners.push(units.ofToken[k]!);
      } else {
        // Owners of a chunk's characters are in text order, so distinct owners are the changes along the range.
        for (let p = where[2 * i]!; p < where[2 * i + 1]!; p++) {
          const u = units.ofChar[p]!;
          if (owners.length === 0 || owners[owners.length - 1] !== u) owners.push(u);
        }
      }
      const share = value[slot]! / (counts[slot]! * owners.length);
      for (const u of owners) for (let l = 0; l < L; l++) sums[u * L + l]! += share * weights[slot * L + l]!;
    }
  }
  return { logit: Float64Array.from(logit), bias: Float64Array.from(bias), words: groupByText(map, units, sums, L) };
}

function groupByText(map: NormalizedText, units: Units, sums: Float64Array, L: number): WordEvidence[] {
  const byText = new Map<string, WordEvidence>();
  for (let u = 0; u < units.start.length; u++) {
    const text = map.text.slice(units.start[u], units.end[u]);
    let word = byText.get(text);
    if (!word) {
      word = { text, spans: [], contributions: new Float64Array(L) };
      byText.set(text, word);
    }
    word.spans.push(originalSpan(map, units.start[u]!, units.end[u]!));
    for (let l = 0; l < L; l++) word.contributions[l]! += sums[u * L + l]!;
  }
  return [...byText.values()];
}
