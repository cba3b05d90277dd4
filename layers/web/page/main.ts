/// <reference lib="dom" />
/**
 * The page's entry point (bundled by esbuild into assets/page.js): the single-abstract form with its evidence,
 * and the CSV flow. Everything it shows comes from the API (/health, /predict) or from the core's own modules.
 */
import './zodConfig.ts';
import { setupAccessToken } from './accessToken.ts';
import { DEFAULT_LIMITS, type Health, health, type Limits } from './api.ts';
import { setupCsvPanel } from './csvPanel.ts';
import { byId } from './dom.ts';
import { SIGNED_MESSAGE } from './failure.ts';
import { setupSingleForm } from './singleForm.ts';

const server: { limits: Limits; health?: Health } = { limits: DEFAULT_LIMITS };

async function loadModelInfo(): Promise<void> {
  try {
    const answer = await health();
    server.health = answer;
    server.limits = answer.limits ?? DEFAULT_LIMITS;
    const { model } = answer;
    byId('model-info').textContent = `model ${model.name} ${model.version} (${model.backend})`;
    byId('csv-limits').textContent = `${server.limits.max_texts}`;
  } catch {
    byId('model-info').textContent = 'model information unavailable';
  }
}

if (document.querySelector<HTMLMetaElement>('meta[name="predict-auth"]')?.content === 'iam') {
  const notice = byId('auth-notice');
  notice.textContent = SIGNED_MESSAGE;
  notice.hidden = false;
}
setupAccessToken();
setupSingleForm(() => server);
setupCsvPanel(() => server);
void loadModelInfo();
