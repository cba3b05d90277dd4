import { dirname } from 'node:path';
import { ConfigError, ModelLoadError } from '#core/errors.ts';

/**
 * Downloads a checkpoint from the Hugging Face Hub with its maintained client. Meant for image builds, where the
 * network exists; offline, the first request fails within `connectTimeoutMs` with a message that says so.
 */
export interface HubSourceOptions {
  accessToken?: string;
  cacheDir?: string;
  revision?: string;
  connectTimeoutMs?: number;
}

const REPO_ID = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;
const OPTIONAL_FILES = ['tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt', 'best_thresholds.json'];

export async function downloadFromHub(repoId: string, options: HubSourceOptions = {}): Promise<string> {
  if (!REPO_ID.test(repoId)) throw new ConfigError('--from', `"hub:${repoId}" is not a Hub repository id (owner/name)`);
  const { downloadFileToCacheDir } = await import('@huggingface/hub');
  const timeout = options.connectTimeoutMs ?? 15_000;
  // The timeout covers connecting and the response headers only: a 400 MB body may take longer, legitimately.
  const fetchWithTimeout: typeof fetch = async (input, init) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error(`no response within ${timeout} ms`)), timeout);
    try {
      return await fetch(input, { ...init, signal: controller.signal });
    } finally {
      clearTimeout(timer);
    }
  };
  const get = (path: string) =>
    downloadFileToCacheDir({
      repo: { type: 'model', name: repoId },
      path,
      fetch: fetchWithTimeout,
      ...(options.revision ? { revision: options.revision } : {}),
      ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
      ...(options.accessToken ? { accessToken: options.accessToken } : {}),
    });
  let configPath: string;
  try {
    configPath = await get('config.json');
  } catch (cause) {
    throw new ModelLoadError(
      `cannot download hub:${repoId} (${describe(cause)}). Hub sources need network access to huggingface.co, which exists at image build time; ` +
        'offline, export from a local folder with --from <folder>',
      { cause },
    );
  }
  try {
    await get('model.safetensors');
  } catch {
    try {
      await get('pytorch_model.bin');
    } catch (cause) {
      throw new ModelLoadError(
        `hub:${repoId} has neither model.safetensors nor pytorch_model.bin (${describe(cause)})`,
        { cause },
      );
    }
  }
  try {
    await get('tokenizer.json');
  } catch (cause) {
    throw new ModelLoadError(`hub:${repoId} has no tokenizer.json (${describe(cause)})`, { cause });
  }
  for (const file of OPTIONAL_FILES) await get(file).catch(() => undefined);
  // Files of one revision share a snapshot folder in the cache.
  return dirname(configPath);
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = cause.cause instanceof Error ? `: ${cause.cause.message}` : '';
  return `${cause.message}${inner}`;
}
