import { readFileSync } from 'node:fs';

/**
 * A from-scratch BERT tokenizer written from the Python `BertTokenizer` (BasicTokenizer + WordpieceTokenizer) with
 * `do_lower_case=True`, `strip_accents=None` (so accents are stripped because of lower-casing) and
 * `tokenize_chinese_chars=True`, reading only `vocab.txt`. It shares nothing with @huggingface/transformers, so it
 * is an independent witness of the ids the model was trained with.
 */
export class ReferenceWordPiece {
  readonly vocab: Map<string, number>;

  constructor(vocabPath: string) {
    const lines = readFileSync(vocabPath, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    this.vocab = new Map(lines.map((token, id) => [token, id]));
  }

  id(token: string): number {
    const v = this.vocab.get(token);
    if (v === undefined) throw new Error(`${token} not in vocabulary`);
    return v;
  }

  /** `[CLS] pieces[:maxLength-2] [SEP]`, as the Python tokenizer does with truncation=True, max_length. */
  encode(text: string, maxLength = 256): number[] {
    const pieces = this.wordPieces(this.basicTokens(text));
    return [this.id('[CLS]'), ...pieces.slice(0, maxLength - 2).map((p) => this.id(p)), this.id('[SEP]')];
  }

  basicTokens(text: string): string[] {
    let cleaned = '';
    for (const ch of text) {
      const cp = ch.codePointAt(0)!;
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      cleaned += isWhitespace(ch) ? ' ' : ch;
    }
    let spaced = '';
    for (const ch of cleaned) spaced += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
    spaced = spaced.normalize('NFC');
    const out: string[] = [];
    for (const raw of spaced.split(/\s+/u).filter(Boolean)) {
      const stripped = raw
        .toLowerCase()
        .normalize('NFD')
        .replace(/\p{Mn}/gu, '');
      let current = '';
      for (const ch of stripped) {
        if (isPunctuation(ch)) {
          if (current) out.push(current);
          out.push(ch);
          current = '';
        } else {
          current += ch;
        }
      }
      if (current) out.push(current);
    }
    return out.flatMap((t) => t.split(/\s+/u).filter(Boolean));
  }

  wordPieces(tokens: readonly string[]): string[] {
    const out: string[] = [];
    for (const token of tokens) {
      const chars = [...token];
      if (chars.length > 100) {
        out.push('[UNK]');
        continue;
      }
      const pieces: string[] = [];
      let start = 0;
      let bad = false;
      while (start < chars.length) {
        let end = chars.length;
        let found: string | undefined;
        while (start < end) {
          const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
          if (this.vocab.has(sub)) {
            found = sub;
            break;
          }
          end--;
        }
        if (found === undefined) {
          bad = true;
          break;
        }
        pieces.push(found);
        start = end;
      }
      if (bad) out.push('[UNK]');
      else out.push(...pieces);
    }
    return out;
  }
}

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /\p{Zs}/u.test(ch);
}
function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return /\p{C}/u.test(ch);
}
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
    return true;
  return /\p{P}/u.test(ch);
}
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
