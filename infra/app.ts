/**
 * CDK entry point (cdk.json: "app"). Prepares the image's build context in .build/image/ (esbuild bundles,
 * model, Dockerfile), then defines the stack. Needs neither Docker nor AWS credentials to synthesize.
 */
import { createClassifierApp } from './classifierApp.ts';

const { app } = await createClassifierApp();
app.synth();
