import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type BertTokenizer, loadBertTokenizer } from '#core/bert/tokenizer.ts';
import { longAbstract, syntheticAbstracts, TOKENIZER_SENTENCES } from '../../scripts/fixtures/bertTexts.ts';
import { ReferenceWordPiece } from './referenceTokenizer.ts';
import { hasSharedBert, SHARED_BERT_DIR, SHARED_TOKENIZER_MISSING } from './tinyModel.ts';

if (!hasSharedBert) console.warn(SHARED_TOKENIZER_MISSING);

describe.skipIf(!hasSharedBert)(
  `BERT tokenizer (real BioClinicalBERT vocabulary)${hasSharedBert ? '' : ` — ${SHARED_TOKENIZER_MISSING}`}`,
  () => {
    let tokenizer: BertTokenizer;
    let reference: ReferenceWordPiece;
    const load = async () => {
      tokenizer ??= await loadBertTokenizer(SHARED_BERT_DIR, 256);
      reference ??= new ReferenceWordPiece(join(SHARED_BERT_DIR, 'vocab.txt'));
    };

    it('gives the hand-checked ids of short sentences (lower-cased, accents stripped, word pieces)', async () => {
      await load();
      // Looked up line by line in vocab.txt (id = line − 1): my ##oc ##ard ##ial in ##far ##ction .
      expect(tokenizer.encode('Myocardial infarction.')).toEqual([
        101, 1139, 13335, 2881, 2916, 1107, 14794, 5796, 119, 102,
      ]);
      // naive cafe , 12 . 5 mg / kg !  — "Naïve café" loses its accents and case.
      expect(tokenizer.encode('Naïve café, 12.5 mg/kg!')).toEqual([
        101, 22607, 17287, 117, 1367, 119, 126, 17713, 120, 4023, 106, 102,
      ]);
    });

    it('matches an independent BasicTokenizer + WordPiece on medical terms, punctuation, accents, numbers and odd characters', async () => {
      await load();
      for (const text of [...TOKENIZER_SENTENCES, ...syntheticAbstracts(40)]) {
        expect(tokenizer.encode(text), JSON.stringify(text)).toEqual(reference.encode(text, 256));
      }
    });

    it('keeps [CLS] first and [SEP] last with exactly 254 word pieces between when a 2,000-word abstract is truncated', async () => {
      await load();
      const text = longAbstract();
      expect(text.split(' ')).toHaveLength(2000);
      const ids = tokenizer.encode(text);
      expect(ids).toHaveLength(256);
      expect(ids[0]).toBe(101);
      expect(ids[255]).toBe(102);
      expect(ids.slice(1, 255)).not.toContain(102);
      expect(ids).toEqual(reference.encode(text, 256));
    });

    it('gives an empty text just [CLS] [SEP]', async () => {
      await load();
      expect(tokenizer.encode('')).toEqual([101, 102]);
    });

    it('honours other maximum lengths', async () => {
      const short = await loadBertTokenizer(SHARED_BERT_DIR, 16);
      const ids = short.encode(longAbstract());
      expect(ids).toHaveLength(16);
      expect([ids[0], ids[15]]).toEqual([101, 102]);
    });

    it('documents why truncation is done here: the library option drops the final [SEP] of a long text', async () => {
      const { AutoTokenizer, env } = await import('@huggingface/transformers');
      env.allowRemoteModels = false;
      env.localModelPath = join(SHARED_BERT_DIR, '..');
      const library = await AutoTokenizer.from_pretrained('bioclinicalbert', { local_files_only: true });
      const encoded = library(longAbstract(), { truncation: true, max_length: 256, return_tensor: false }) as {
        input_ids: number[];
      };
      expect(encoded.input_ids).toHaveLength(256);
      // If this starts failing, the library was fixed; the wrapper stays correct either way.
      expect(encoded.input_ids[255]).not.toBe(102);
    });
  },
);
