import { access } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelLoadError } from '../errors.ts';

/**
 * The BERT tokenizer as the model was trained with it: the model folder's `tokenizer.json` through
 * @huggingface/transformers, local files only, with truncation done here rather than by the library, because the
 * library's `{truncation: true, max_length}` cuts the finished sequence and drops the final [SEP] on long texts.
 * The Python tokenizer keeps `[CLS] … [SEP]` with `maxLength - 2` word pieces between.
 */
export interface BertTokenizer {
  readonly maxLength: number;
  readonly clsId: number;
  readonly sepId: number;
  readonly padId: number;
  /** `[CLS]`, at most `maxLength - 2` word pieces, `[SEP]`. */
  encode(text: string): number[];
}

type TransformersModule = typeof import('@huggingface/transformers');
type LoadedTokenizer = Awaited<ReturnType<TransformersModule['AutoTokenizer']['from_pretrained']>>;

/** Files transformers.js needs to build a BERT tokenizer. */
export const REQUIRED_TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json'] as const;

// `env` is process-wide and `from_pretrained` resolves names against `env.localModelPath`; loads are serialised so
// two model folders loaded at once cannot see each other's path.
let queue: Promise<unknown> = Promise.resolve();

/**
 * The one place that configures @huggingface/transformers: never a network call (`allowRemoteModels = false`),
 * files from the model folder's parent (`localModelPath`), no cache directory written.
 */
function configureOffline(env: TransformersModule['env'], localModelPath: string): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.localModelPath = localModelPath;
}

export async function loadBertTokenizer(dir: string, maxLength: number): Promise<BertTokenizer> {
  if (!Number.isInteger(maxLength) || maxLength < 3)
    throw new ModelLoadError(`maxLength must be an integer ≥ 3, got ${maxLength}`);
  for (const file of REQUIRED_TOKENIZER_FILES) {
    try {
      await access(join(dir, file));
    } catch (cause) {
      throw new ModelLoadError(`${join(dir, file)} is missing: a bert-onnx model folder needs its tokenizer files`, {
        cause,
      });
    }
  }
  const load = async (): Promise<LoadedTokenizer> => {
    const transformers = await import('@huggingface/transformers');
    configureOffline(transformers.env, `${dirname(dir)}/`);
    return transformers.AutoTokenizer.from_pretrained(basename(dir), { local_files_only: true });
  };
  const pending = queue.then(load, load);
  queue = pending.catch(() => undefined);
  let tokenizer: LoadedTokenizer;
  try {
    tokenizer = await pending;
  } catch (cause) {
    throw new ModelLoadError(`cannot load the tokenizer in ${dir}: ${(cause as Error).message}`, { cause });
  }
  const [clsId, sepId, padId] = tokenizer.convert_tokens_to_ids(['[CLS]', '[SEP]', '[PAD]']) as unknown[];
  const valid = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (!valid(clsId) || !valid(sepId) || !valid(padId)) {
    throw new ModelLoadError(`the tokenizer in ${dir} lacks [CLS], [SEP] or [PAD]: not a BERT tokenizer`);
  }
  const budget = maxLength - 2;
  return {
    maxLength,
    clsId,
    sepId,
    padId,
    encode(text: string): number[] {
      const pieces = tokenizer.encode(text, { add_special_tokens: false });
      const kept = pieces.length > budget ? pieces.slice(0, budget) : pieces;
      return [clsId, ...kept, sepId];
    },
  };
}
