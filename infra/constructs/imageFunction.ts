import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, DockerImageCode, DockerImageFunction, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { ClassifierConfig } from '../config.ts';
import type { HandlerName } from '../image/prepareImage.ts';
import { acknowledgeWildcardResource } from '../nag.ts';

/** Where the one image comes from, shared by every function built from it. */
export interface ClassifierImage {
  /** The Docker build context written by `prepareImageContext` (scripts/prepare-image.ts). */
  readonly contextDir: string;
  readonly config: ClassifierConfig;
}

export interface ImageFunctionProps {
  readonly image: ClassifierImage;
  readonly handler: HandlerName;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** 0: no reservation. */
  readonly reservedConcurrency: number;
  readonly environment?: Record<string, string>;
}

/**
 * A Lambda function running one handler of the shared container image, with its own log group (retention set,
 * no custom resource) and its own role that may write to that log group and nothing else until a construct
 * grants more. No managed policy: AWSLambdaBasicExecutionRole would allow every log group in the account.
 */
export class ImageFunction extends Construct {
  readonly function: DockerImageFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ImageFunctionProps) {
    super(scope, id);
    const { config } = props.image;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.handler} function of the clinical abstract classifier`,
    });
    this.logGroup.grantWrite(this.role);

    const arm = config.architecture === 'arm64';
    this.function = new DockerImageFunction(this, 'Function', {
      description: props.description,
      // Same directory, platform and build arguments for every function: one asset hash, so one image;
      // only the CMD differs.
      code: DockerImageCode.fromImageAsset(props.image.contextDir, {
        cmd: [`${props.handler}.handler`],
        platform: arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
        buildArgs: imageBuildArgs(config),
      }),
      architecture: arm ? Architecture.ARM_64 : Architecture.X86_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      ...(props.reservedConcurrency > 0 ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      role: this.role,
      logGroup: this.logGroup,
      ...(config.tracing ? { tracing: Tracing.ACTIVE } : {}),
      environment: {
        MODEL_DIR: '/opt/model',
        LOG_LEVEL: config.logLevel,
        POWERTOOLS_SERVICE_NAME: 'clinical-abstract-classifier',
        ...(config.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        ...props.environment,
      },
    });
    // Depending on the role construct includes its DefaultPolicy, which grants added later land in: the
    // function must not run (e.g. its event source mapping must not start polling) before it has them.
    this.function.node.addDependency(this.role);
    if (config.tracing) {
      acknowledgeWildcardResource(
        this.role,
        '*',
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
      );
    }
  }
}

/** Docker build arguments; only the ones that are set, so the default build stays cache-friendly. */
export function imageBuildArgs(config: ClassifierConfig): Record<string, string> {
  return {
    NODE_IMAGE: `public.ecr.aws/lambda/nodejs:${config.nodeVersion}`,
    ...(config.bertModel !== undefined ? { BERT_MODEL: config.bertModel } : {}),
  };
}
