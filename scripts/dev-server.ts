/**
 * `npm start`: the API on http://127.0.0.1:8000 (PORT) and a local S3-compatible server on 127.0.0.1:4568
 * (S3_PORT) with bucket `abstracts` (BUCKET); CSVs uploaded under incoming/ are evaluated into results/.
 * MODEL_DIR selects another model folder; FANOUT_ROW_THRESHOLD makes large uploads go through the local
 * fan-out runner (the same chunk/aggregate code as the Step Functions path). Data lives in .local/s3 (DATA_DIR).
 */
import { join } from 'node:path';
import { API_ROUTES, routeKeysOf } from '#adapters/api/routes.ts';
import { type DevServerConfig, loadDevServerConfig } from '#adapters/devServerConfig.ts';
import type { ModelManifest } from '#core/manifest.ts';
import { EXIT, reportFailure, runCli } from './cli.ts';
import { createDevIssuer, createJwtAuthorizer, expiryOf, readJwksFile } from './local/jwtAuthorizer.ts';
import { EVENT_JOURNAL, startLocalStack } from './local/localStack.ts';

/**
 * `API_AUTH=jwt`: the authorizer for the configured key set, or for a key pair made now, with a token signed by it
 * (printed, so that the page, the docs and curl can be tried at once).
 */
async function jwtAuth(jwt: DevServerConfig['jwt']) {
  if (jwt === undefined) return { authorizeJwt: undefined, devToken: undefined };
  if (jwt.jwksFile !== undefined)
    return {
      authorizeJwt: createJwtAuthorizer({ ...jwt, jwks: await readJwksFile(jwt.jwksFile) }),
      devToken: undefined,
    };
  const issuer = await createDevIssuer(jwt.issuer, jwt.audience[0]!);
  return { authorizeJwt: createJwtAuthorizer({ ...jwt, jwks: issuer.jwks }), devToken: await issuer.token() };
}

async function main(): Promise<number> {
  const { runtime, port, s3Port, bucket, dataDir, fanoutRowThreshold, jwt, logLevel } = loadDevServerConfig();
  const { authorizeJwt, devToken } = await jwtAuth(jwt);
  const stack = await startLocalStack({
    auth: runtime.auth,
    ...(authorizeJwt ? { authorizeJwt } : {}),
    port,
    s3Port,
    bucket,
    dataDir,
    ...(runtime.modelDir ? { modelDir: runtime.modelDir } : {}),
    limits: runtime.limits,
    evidence: runtime.evidence,
    formulas: runtime.formulas,
    ...(fanoutRowThreshold !== undefined ? { fanoutRowThreshold } : {}),
    logLevel,
  });
  // Load the model now (the handlers share it): a bad model folder fails here, before any endpoint is printed.
  let manifest: ModelManifest;
  try {
    manifest = await stack.ready();
    await stack.webReady();
  } catch (error) {
    await stack.stop();
    throw error;
  }
  const { name, version, backend } = manifest;
  const s3 = stack.s3Endpoint;
  const bearer = devToken ? ` -H "Authorization: Bearer $TOKEN"` : jwt ? ` -H "Authorization: Bearer <token>"` : '';
  process.stdout.write(
    [
      `clinical-abstract-classifier, model ${name} ${version} (${backend})`,
      '',
      `API           ${stack.apiUrl}   (${API_ROUTES.flatMap(routeKeysOf).join(', ')})`,
      `Web page      ${stack.apiUrl}/   (in a browser: classify an abstract and see the evidence, or a CSV)`,
      `API docs      ${stack.apiUrl}/docs`,
      `Local S3      ${s3}   bucket "${bucket}", data in ${dataDir}`,
      ...authLines(runtime.auth, jwt, devToken),
      `Upload events journalled in ${join(dataDir, EVENT_JOURNAL)} (undelivered ones run again after a restart)`,
      '',
      'Try:',
      `  curl -X POST ${stack.apiUrl}/predict -H 'Content-Type: application/json'${bearer} \\`,
      `       -d '{"texts": ["Patient presents with chest pain and elevated troponin levels."]}'`,
      '',
      `  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${s3} --region us-east-1 \\`,
      `       s3 cp my.csv s3://${bucket}/incoming/my.csv`,
      `  # results appear under s3://${bucket}/results/my/ (predictions.csv, metrics.json, report.txt, report.html)`,
      `  AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER aws --endpoint-url ${s3} --region us-east-1 s3 ls s3://${bucket}/results/my/`,
      `  # s3rver keeps them on disk too, as ${dataDir}/${bucket}/results/my/<name>._S3rver_object`,
      '',
      `Logs: warnings and errors${logLevel === 'WARN' ? '; LOG_LEVEL=DEBUG npm start shows a line per request' : ` (LOG_LEVEL=${logLevel})`}.`,
      'Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolveStop) => {
    const stop = () => resolveStop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stdout.write('\nstopping…\n');
  await stack.stop();
  return EXIT.ok;
}

/** What `npm start` says about access to /predict. */
function authLines(auth: string, jwt: DevServerConfig['jwt'], devToken: string | undefined): string[] {
  if (auth === 'iam')
    return ['Access        API_AUTH=iam: the page says /predict needs SigV4; locally nothing checks signatures'];
  if (jwt === undefined) return [];
  const lines = [
    `Access        API_AUTH=jwt: POST /predict needs a token from ${jwt.issuer} for ${jwt.audience.join(' or ')} (401 otherwise)`,
  ];
  if (devToken === undefined) return [...lines, `              keys from ${jwt.jwksFile}`];
  return [
    ...lines,
    `              a key pair made now; a token valid until ${expiryOf(devToken)?.toISOString()} (paste it into the page or /docs):`,
    '',
    `export TOKEN=${devToken}`,
  ];
}

runCli(import.meta.url, () => main().catch((error: unknown) => process.exit(reportFailure(error))));
