import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer, HttpJwtAuthorizer, HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AccountRecovery, Mfa, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { API_ROUTES, CATCH_ALL_FUNCTION, type RouteFunction, routeKeysOf } from '#adapters/api/routes.ts';
import type { ClassifierConfig, Throttle } from '../config.ts';
import { type ClassifierImage, ImageFunction } from './imageFunction.ts';

export interface ApiProps {
  readonly image: ClassifierImage;
  /** Keep the Cognito user pool (auth=jwt with jwtCognito) when the stack is deleted: it holds the users. */
  readonly retainData: boolean;
}

/**
 * The HTTP API (API Gateway v2), its routes taken from the one list of routes (layers/adapters/api/routes.ts):
 * GET /, /health, /openapi.json, /docs, /assets/* and the $default catch-all on the health function (which also
 * serves the web page and the docs, under a strict CSP), POST /predict on the predict function. The protected
 * routes (POST /predict) sit behind the deployment's authorizer: none, IAM (SigV4) or a JWT authorizer for an OIDC
 * issuer (an existing one, or a Cognito user pool created here). Throttling per route, optional CORS, JSON access logs.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly predict: ImageFunction;
  readonly health: ImageFunction;
  readonly url: string;
  /** With auth=jwt and jwtCognito=true: the user pool whose tokens the API accepts, and its app client. */
  readonly userPool?: UserPool;
  readonly userPoolClient?: UserPoolClient;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { config } = props.image;

    // /health, /openapi.json and the page tell clients the request limits: the same values the predict function enforces.
    const limits = {
      MAX_TEXTS: String(config.limits.maxTexts),
      MAX_TEXT_CHARS: String(config.limits.maxTextChars),
      MAX_BODY_BYTES: String(config.limits.maxBodyBytes),
    };
    this.health = new ImageFunction(this, 'Health', {
      image: props.image,
      handler: 'health',
      description: 'GET /, /health, /openapi.json, /docs and the page assets',
      memoryMb: config.memoryMb.health,
      timeoutSeconds: config.timeoutSeconds.health,
      reservedConcurrency: 0,
      // The page and the OpenAPI document follow the access mode: a notice for iam, a token field for jwt.
      environment: { API_AUTH: config.auth, ...limits },
    });
    this.predict = new ImageFunction(this, 'Predict', {
      image: props.image,
      handler: 'predict',
      description: 'POST /predict: classifies abstracts',
      memoryMb: config.memoryMb.predict,
      timeoutSeconds: config.timeoutSeconds.predict,
      reservedConcurrency: config.reservedConcurrency.predict,
      environment: limits,
    });
    const integrations: Record<RouteFunction, HttpLambdaIntegration> = {
      health: new HttpLambdaIntegration('HealthIntegration', this.health.function),
      predict: new HttpLambdaIntegration('PredictIntegration', this.predict.function),
    };

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Clinical abstract classifier',
      // Our own $default stage below carries throttling and access logs, which the implicit one cannot.
      createDefaultStage: false,
      ...(config.corsOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...config.corsOrigins],
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.OPTIONS],
              // The bearer token (jwt) or the SigV4 headers (iam) a browser sends with /predict.
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
      // API Gateway's "default route throttling": each route gets this limit of its own, shared by all its callers.
      throttle: { rateLimit: config.throttle.rateLimit, burstLimit: config.throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // HTTP API context variables only (the REST API's standard JSON format uses some it does not have).
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            subject: '$context.authorizer.claims.sub',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const { authorizer, userPool, userPoolClient } = this.authorizer(config, props.retainData);
    if (userPool && userPoolClient) {
      this.userPool = userPool;
      this.userPoolClient = userPoolClient;
    }
    // Unknown paths and wrong methods reach the catch-all's function, which answers the API's JSON 404/405
    // instead of API Gateway's bare {"message":"Not Found"}.
    const catchAll = new HttpRoute(this, 'CatchAll', {
      httpApi: this.httpApi,
      routeKey: HttpRouteKey.DEFAULT,
      integration: integrations[CATCH_ALL_FUNCTION],
    });
    const openRoutes: HttpRoute[] = [catchAll];
    const protectedRoutes: HttpRoute[] = [];
    const predictRouteKeys: string[] = [];
    for (const route of API_ROUTES) {
      const added = this.httpApi.addRoutes({
        path: route.path,
        methods: route.methods.map((method) => HttpMethod[method]),
        integration: integrations[route.function],
        ...(route.protected && authorizer ? { authorizer } : {}),
      });
      (route.protected ? protectedRoutes : openRoutes).push(...added);
      if (route.function === 'predict') predictRouteKeys.push(...routeKeysOf(route));
      // The stage's route settings name these routes: CloudFormation must create them first.
      for (const created of added) this.stage.node.addDependency(created);
    }
    this.throttleRoutes(predictRouteKeys, config.predictThrottle);

    for (const route of openRoutes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Welcome, web page, API docs and their static assets, health, OpenAPI document and the 404/405 catch-all are open by design under every auth mode: no data in, model metadata and static files out (the page must load for a user to paste a token); each route is throttled.',
      });
    }
    if (config.auth === 'none') {
      const concurrency =
        config.reservedConcurrency.predict > 0
          ? `reserved concurrency ${config.reservedConcurrency.predict}`
          : "the account's Lambda concurrency quota (no reservation: costGuard=false)";
      for (const route of protectedRoutes) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `Public /predict is the deployer's choice (context auth=none, for demos; the original API had no auth). Its route throttle (${config.predictThrottle.rateLimit} requests/s, burst ${config.predictThrottle.burstLimit}) caps the request rate, the ${config.timeoutSeconds.predict} s timeout each request's duration, and ${concurrency} how many run at once.`,
        });
      }
    }

    this.url = this.stage.url;
  }

  /** The authorizer of the protected routes: none, IAM, or JWT (an existing issuer or a Cognito pool made here). */
  private authorizer(
    config: ClassifierConfig,
    retainData: boolean,
  ): { authorizer?: IHttpRouteAuthorizer; userPool?: UserPool; userPoolClient?: UserPoolClient } {
    if (config.auth === 'iam') return { authorizer: new HttpIamAuthorizer() };
    if (config.auth !== 'jwt' || config.jwt === undefined) return {};
    if (config.jwt.kind === 'issuer') {
      return {
        authorizer: new HttpJwtAuthorizer('JwtAuthorizer', config.jwt.issuer, {
          jwtAudience: [...config.jwt.audience],
        }),
      };
    }
    const pool = new UserPool(this, 'UserPool', {
      // Users are invited by an administrator (console or `aws cognito-idp admin-create-user`); nobody signs up alone.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireDigits: true,
        requireLowercase: true,
        requireUppercase: true,
        requireSymbols: true,
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: retainData,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const client = pool.addClient('ApiClient', {
      // A public client (the page, the CLI): no secret; tokens by SRP or username/password over TLS.
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
    });
    Validations.of(pool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA (TOTP) is optional so that `aws cognito-idp initiate-auth` gives a token without a second step; accounts are created by an administrator only. Require it with an override if your policy does.',
    });
    for (const id of ['AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      Validations.of(pool).acknowledge({
        id,
        reason:
          "Cognito's threat protection (advanced security, the Plus feature plan) is billed per monthly active user; the pool has no self sign-up and the API is throttled per route. Turn it on with an override if you need it.",
      });
    }
    const stack = Stack.of(this);
    new CfnOutput(stack, 'UserPoolId', { value: pool.userPoolId, description: 'Cognito user pool of the API' });
    new CfnOutput(stack, 'UserPoolClientId', {
      value: client.userPoolClientId,
      description: 'App client whose tokens /predict accepts',
    });
    return {
      authorizer: new HttpUserPoolAuthorizer('CognitoAuthorizer', pool, { userPoolClients: [client] }),
      userPool: pool,
      userPoolClient: client,
    };
  }

  /**
   * Route-level throttling for the routes that cost compute. HttpStage has no property for it, so the stage's
   * CloudFormation resource gets `RouteSettings` keyed by route key.
   */
  private throttleRoutes(routeKeys: readonly string[], throttle: Throttle): void {
    const stage = this.stage.node.defaultChild as CfnStage;
    stage.routeSettings = Object.fromEntries(
      routeKeys.map((key) => [
        key,
        // RouteSettings is plain JSON to CDK: CloudFormation's property names, as they are.
        { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit },
      ]),
    );
  }
}
