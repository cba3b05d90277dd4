import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type ClassifierImage, ImageFunction } from './imageFunction.ts';

export interface ApiProps {
  readonly image: ClassifierImage;
}

/**
 * The HTTP API (API Gateway v2): GET /, /health, /openapi.json, /docs, /assets/* and the $default catch-all on
 * the health function (which also serves the web page and the docs, under a strict CSP), POST /predict on the
 * predict function; stage-wide throttling, optional CORS, JSON access logs, optional IAM auth on /predict.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly predict: ImageFunction;
  readonly health: ImageFunction;
  readonly url: string;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config } = props.image;

    this.health = new ImageFunction(this, 'Health', {
      image: props.image,
      handler: 'health',
      description: 'GET /, /health, /openapi.json, /docs and the page assets',
      memoryMb: config.memoryMb.health,
      timeoutSeconds: config.timeoutSeconds.health,
      reservedConcurrency: 0,
      // The page tells its users that /predict needs signed requests instead of failing on every call.
      environment: { PREDICT_REQUIRES_IAM: String(config.predictRequiresIam) },
    });
    this.predict = new ImageFunction(this, 'Predict', {
      image: props.image,
      handler: 'predict',
      description: 'POST /predict: classifies abstracts',
      memoryMb: config.memoryMb.predict,
      timeoutSeconds: config.timeoutSeconds.predict,
      reservedConcurrency: config.reservedConcurrency.predict,
      environment: {
        MAX_TEXTS: String(config.limits.maxTexts),
        MAX_TEXT_CHARS: String(config.limits.maxTextChars),
        MAX_BODY_BYTES: String(config.limits.maxBodyBytes),
      },
    });

    const healthIntegration = new HttpLambdaIntegration('HealthIntegration', this.health.function);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Clinical abstract classifier',
      // Our own $default stage below carries throttling and access logs, which the implicit one cannot.
      createDefaultStage: false,
      ...(config.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...config.corsOrigins],
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
              // The SigV4 headers a browser needs when /predict requires IAM.
              allowHeaders: [
                'content-type',
                'authorization',
                'x-amz-date',
                'x-amz-security-token',
                'x-amz-content-sha256',
              ],
              maxAge: Duration.days(1),
            },
          }
        : {}),
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttle.rateLimit, burstLimit: config.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // HTTP API context variables only (the REST API's standard JSON format uses some it does not have).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    // Unknown paths and wrong methods reach the health function, which answers the API's JSON 404/405
    // instead of API Gateway's bare {"message":"Not Found"}.
    const publicRoutes = [
      new HttpRoute(this, 'CatchAll', {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.DEFAULT,
        integration: healthIntegration,
      }),
    ];
    for (const path of ['/', '/health', '/openapi.json', '/docs', '/assets/{file+}']) {
      publicRoutes.push(...this.httpApi.addRoutes({ path, methods: [HttpMethod.GET], integration: healthIntegration }));
    }
    const predictRoutes = this.httpApi.addRoutes({
      path: '/predict',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('PredictIntegration', this.predict.function),
      ...(config.predictRequiresIam ? { authorizer: new HttpIamAuthorizer() } : {}),
    });

    for (const route of publicRoutes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Welcome, web page, API docs and their static assets, health, OpenAPI document and the 404/405 catch-all are public by design: no data in, model metadata and static files out; the stage is throttled.',
      });
    }
    if (!config.predictRequiresIam) {
      for (const route of predictRoutes) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            "Public /predict is the deployer's choice (context predictRequiresIam=false, the original API had no auth); stage throttling and reserved concurrency bound the cost.",
        });
      }
    }

    this.url = this.stage.url;
  }
}
