/**
 * `npm run prepare-image -- [--out .build/image] [--model <model dir>] [--bert-runtime]`
 * Writes the container image's Docker build context. The work is infra/image/prepareImage.ts (which the CDK app also
 * calls at synth); this file only reads the flags.
 */
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_DIR } from '#core/classifier.ts';
import { REPO_ROOT } from '../infra/config.ts';
import { prepareImageContext } from '../infra/image/prepareImage.ts';
import { isEntryPoint } from './entryPoint.ts';

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: join(REPO_ROOT, '.build', 'image') },
      model: { type: 'string', default: DEFAULT_MODEL_DIR },
      'bert-runtime': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: tsx scripts/prepare-image.ts [--out .build/image] [--model <model dir>] [--bert-runtime]');
    return;
  }
  const bertRuntime = values['bert-runtime'];
  const description = await prepareImageContext(values.out, {
    modelDir: values.model,
    ...(bertRuntime ? { bertRuntime } : {}),
  });
  console.log(
    `Image context in ${relative(process.cwd(), resolve(values.out)) || '.'}: handlers ${description.handlers.join(', ')}; ` +
      `model ${description.model.name} ${description.model.version} (${description.model.backend}); ` +
      `dependencies ${Object.keys(description.dependencies).join(', ') || 'none'}; exporter ${description.exportTool ? 'yes' : 'no'}`,
  );
  console.log(
    `Build it with: docker build --platform linux/amd64 -t clinical-abstract-classifier ${relative(process.cwd(), resolve(values.out)) || '.'}`,
  );
}

if (isEntryPoint(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
