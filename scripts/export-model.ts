import { ConfigError } from '#core/errors.ts';
import { exportModel } from '#export/exportModel.ts';
import { parseFlags, runCli, UsageError } from './cli.ts';

const USAGE = `usage: npm run export-model -- --from <folder | hub:<repo id>> --out <folder>
         [--head cls|pooler] [--quantize int8|none] [--graph auto|fused|plain] [--max-length 256] [--name <name>] [--version <v>]

  --head       what feeds the classifier: the [CLS] hidden state (default, the real checkpoint) or BERT's pooler
  --quantize   int8 (default) writes onnx/model.onnx and onnx/model_quantized.onnx; none writes only the fp32 one
  --graph      auto (default): the faster measured per precision (fp32 fused, int8 plain); fused: onnxruntime's
               transformer operators; plain: standard ONNX operators only
  HF_TOKEN     access token for private Hub repositories`;

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    argv,
    {
      from: { type: 'string' },
      out: { type: 'string' },
      head: { type: 'string' },
      quantize: { type: 'string' },
      graph: { type: 'string' },
      'max-length': { type: 'string' },
      name: { type: 'string' },
      version: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${USAGE}`);
  if (!values.from || !values.out) throw new UsageError(`--from and --out are required\n${USAGE}`);
  const maxLength = values['max-length'] === undefined ? undefined : Number(values['max-length']);
  if (maxLength !== undefined && !Number.isInteger(maxLength))
    throw new ConfigError('--max-length', `"${values['max-length']}" is not an integer`);

  const started = performance.now();
  const result = await exportModel(
    {
      from: values.from,
      out: values.out,
      ...(values.head !== undefined ? { head: values.head as 'cls' } : {}),
      ...(values.quantize !== undefined ? { quantize: values.quantize as 'int8' } : {}),
      ...(values.graph !== undefined ? { graph: values.graph as 'auto' } : {}),
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(values.name !== undefined ? { name: values.name } : {}),
      ...(values.version !== undefined ? { version: values.version } : {}),
    },
    process.env.HF_TOKEN ? { accessToken: process.env.HF_TOKEN } : {},
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`exported ${result.manifest.name} to ${result.outDir} in ${seconds} s\n`);
  for (const [file, info] of Object.entries(result.files)) {
    process.stdout.write(
      `  ${file.padEnd(28)} ${(info.bytes / 1e6).toFixed(1).padStart(8)} MB  sha256 ${info.sha256.slice(0, 16)}…\n`,
    );
  }
  process.stdout.write(
    `  model.json                   backend bert-onnx, head ${String(result.manifest.backendConfig.head)}, precision ${String(result.manifest.backendConfig.precision)}\n`,
  );
  return 0;
}

runCli(import.meta.url, main);
