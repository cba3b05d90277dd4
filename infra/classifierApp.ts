import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ClassifierConfig, REPO_ROOT, readConfig } from './config.ts';
import { prepareImageContext } from './image/prepareImage.ts';
import { ClassifierStack } from './stack.ts';

export const STACK_NAME = 'ClinicalAbstractClassifier';
export const IMAGE_CONTEXT_DIR = join(REPO_ROOT, '.build', 'image');

/**
 * CDK feature flags the stack relies on, set here rather than in cdk.json so tests synthesize the same way.
 * - serverAccessLogsUseBucketPolicy: the access-log bucket grants the logging service by bucket policy instead of
 *   the legacy LogDeliveryWrite ACL, which would contradict BucketOwnerEnforced.
 * - minimizePolicies: one statement per action set, shorter policies.
 */
const FEATURE_FLAGS = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-iam:minimizePolicies': true,
} as const;

export interface ClassifierAppOptions {
  /** Context values, as `-c key=value` would give them (tests); the CLI passes its own through the environment. */
  readonly context?: Record<string, unknown>;
  /** Where the Docker build context is (and, unless `prepareImage` is false, gets written). */
  readonly imageContextDir?: string;
  /** Write the build context first (default). Template tests that do not look inside the image skip it. */
  readonly prepareImage?: boolean;
  readonly outdir?: string;
}

export interface ClassifierApp {
  readonly app: App;
  readonly stack: ClassifierStack;
  readonly config: ClassifierConfig;
}

/**
 * The composition root of the CDK app, shared by `infra/app.ts` (cdk synth/deploy) and the template tests, so
 * the tests synthesize exactly what gets deployed, cdk-nag included.
 */
export async function createClassifierApp(options: ClassifierAppOptions = {}): Promise<ClassifierApp> {
  const app = new App({
    context: { ...FEATURE_FLAGS, ...options.context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const config = readConfig(app.node);
  const imageContextDir = options.imageContextDir ?? IMAGE_CONTEXT_DIR;
  if (options.prepareImage !== false) {
    await prepareImageContext(imageContextDir, {
      modelDir: config.modelDir,
      ...(config.bertRuntime !== undefined ? { bertRuntime: config.bertRuntime } : {}),
    });
  }
  const stack = new ClassifierStack(app, STACK_NAME, {
    config,
    imageContextDir,
    description: 'Clinical abstract classifier: HTTP API, CSV evaluation from S3, fan-out for large files',
  });
  // Synthesis fails on any AwsSolutions finding that is not acknowledged (with its reason) next to its cause.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack, config };
}
