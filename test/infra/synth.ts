import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { type ClassifierApp, createClassifierApp } from '../../infra/classifierApp.ts';
import { REPO_ROOT } from '../../infra/config.ts';

export interface Synthesized extends ClassifierApp {
  readonly template: Template;
  /** The raw template, for walking every resource. */
  readonly json: {
    Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    Outputs?: Record<string, unknown>;
  };
  readonly validationReport: { pluginReports: unknown[] };
  /** Removes the temporary cloud assembly. */
  dispose(): Promise<void>;
}

/**
 * Synthesizes the app once (≈3 s) the way `cdk synth` does, cdk-nag included. The Docker context is a stand-in
 * holding only the Dockerfile: template assertions do not look inside the image (test/infra/image.test.ts does).
 */
export async function synthesize(context: Record<string, unknown> = {}): Promise<Synthesized> {
  const work = await mkdtemp(join(tmpdir(), 'cac-synth-'));
  const imageContextDir = join(work, 'image');
  await cp(join(REPO_ROOT, 'infra', 'image', 'Dockerfile'), join(imageContextDir, 'Dockerfile'));
  const created = await createClassifierApp({
    context,
    imageContextDir,
    prepareImage: false,
    outdir: join(work, 'cdk.out'),
  });
  // Throws when cdk-nag reports an unacknowledged finding.
  const assembly = created.app.synth();
  const json = assembly.getStackByName(created.stack.stackName).template as Synthesized['json'];
  const validationReport = JSON.parse(
    await readFile(join(work, 'cdk.out', 'validation-report.json'), 'utf8').catch(() => '{"pluginReports":[]}'),
  ) as Synthesized['validationReport'];
  return {
    ...created,
    template: Template.fromJSON(json),
    json,
    validationReport,
    dispose: () => rm(work, { recursive: true, force: true }),
  };
}

/** The resources of one type, by logical id. */
export function resourcesOf(synth: Synthesized, type: string): [string, Record<string, unknown>][] {
  return Object.entries(synth.json.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The logical id of the one resource whose id starts with `prefix` (ids are path-derived: Ingest/Data → IngestData…). */
export function logicalId(synth: Synthesized, type: string, prefix: string): string {
  const matches = resourcesOf(synth, type).filter(([id]) => id.startsWith(prefix));
  if (matches.length !== 1)
    throw new Error(
      `expected one ${type} starting with ${prefix}, found ${matches.map(([id]) => id).join(', ') || 'none'}`,
    );
  return matches[0]![0];
}

/** A state machine definition (an Fn::Join of strings and intrinsics) as an object; intrinsics become "<Ref>"-like strings. */
export function stateMachineDefinition(definition: unknown): Record<string, unknown> {
  const join = (definition as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  const text = join
    ? join[1].map((part) => (typeof part === 'string' ? part : `<${describeIntrinsic(part)}>`)).join(join[0])
    : String(definition);
  return JSON.parse(text) as Record<string, unknown>;
}

function describeIntrinsic(part: unknown): string {
  const record = part as Record<string, unknown>;
  if (typeof record.Ref === 'string') return record.Ref;
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt)) return getAtt.join('.');
  return JSON.stringify(part).replace(/"/g, "'");
}
