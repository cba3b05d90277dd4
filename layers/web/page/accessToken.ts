/// <reference lib="dom" />
/**
 * Access to /predict as the deployment sets it (`<meta name="predict-auth">`, written by the function that serves
 * the page): `none`, `iam` (SigV4, which a page cannot make: it says so) or `jwt` (a token field). Under `jwt` the
 * token is typed or pasted into a password field, kept in this tab's sessionStorage only (gone when the tab closes;
 * never localStorage, never a cookie) and sent as `Authorization: Bearer …` with each request to /predict.
 */

export type PageAuth = 'none' | 'iam' | 'jwt';

const STORAGE_KEY = 'predict-access-token';

export const pageAuth = (): PageAuth => {
  const mode = document.querySelector<HTMLMetaElement>('meta[name="predict-auth"]')?.content;
  return mode === 'iam' || mode === 'jwt' ? mode : 'none';
};

/** Session storage can be switched off (privacy modes); the token then lives in this variable only. */
let inMemory = '';

function storedToken(): string {
  try {
    return sessionStorage.getItem(STORAGE_KEY) ?? inMemory;
  } catch {
    return inMemory;
  }
}

function storeToken(token: string): void {
  inMemory = token;
  try {
    if (token) sessionStorage.setItem(STORAGE_KEY, token);
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage refused: the in-memory copy is enough for this page's life.
  }
}

/** The header /predict needs, if any (a `Bearer ` the user pasted along with the token is not doubled). */
export function authorizationHeaders(): Record<string, string> {
  if (pageAuth() !== 'jwt') return {};
  const token = storedToken()
    .trim()
    .replace(/^bearer\s+/i, '');
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** What to tell the user when /predict answered 401 under `jwt`; undefined for any other deployment. */
export function tokenRefusal(): string | undefined {
  if (pageAuth() !== 'jwt') return undefined;
  return storedToken().trim()
    ? 'The API refused the access token (401): it may have expired, or come from another issuer or for another audience. Paste a fresh token under "Access token".'
    : 'This deployment needs an access token for /predict (401 without one). Paste your token under "Access token" above.';
}

/** Shows the token field under `jwt` and keeps what is typed there for this tab. */
export function setupAccessToken(): void {
  if (pageAuth() !== 'jwt') return;
  const section = document.getElementById('access');
  const input = document.getElementById('token-input') as HTMLInputElement | null;
  const forget = document.getElementById('token-forget');
  if (!section || !input || !forget)
    throw new Error('page elements #access, #token-input or #token-forget are missing');
  input.value = storedToken();
  input.addEventListener('input', () => storeToken(input.value));
  forget.addEventListener('click', () => {
    input.value = '';
    storeToken('');
    input.focus();
  });
  section.hidden = false;
}
