import { Readable } from 'node:stream';
import { DEFAULT_EVIDENCE } from '#adapters/config.ts';
import type { Classifier } from '#core/classifier.ts';
import { evaluateCsv } from '#core/pipeline/evaluateCsv.ts';

/** The predictions.csv the local stack (default settings) must write for an upload of `bytes`, computed in process. */
export async function expectedPredictions(bytes: Uint8Array, classifier: Classifier): Promise<string> {
  let out = '';
  await evaluateCsv(
    Readable.from([Buffer.from(bytes)]),
    classifier,
    {
      write: (text) => {
        out += typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
      },
    },
    { evidence: DEFAULT_EVIDENCE },
  );
  return out;
}
