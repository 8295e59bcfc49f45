/**
 * OAuth 2.0 authorization code grant for template auth (RFC 6749 §4.1) with PKCE S256 (RFC 7636): the authorization
 * URL a person opens, the code exchange at the callback, and refresh (§6). Pure protocol: storage of the resulting
 * tokens (encrypted, one refresh at a time) belongs to the worker.
 *
 * Stored credentials of an authorized installation: the template's client id/secret fields plus `access_token`,
 * `refresh_token` (when issued) and `access_token_expires_at` (epoch milliseconds, as a string).
 */
import type { ExecuteOptions, ToolOutcome } from './guarded-fetch.js';
import { expandWithSettings } from './render-request.js';
import type { TemplateAuth } from './template-schema.js';
import { requestToken } from './token-endpoint.js';

export type AuthorizationCodeAuth = Extract<TemplateAuth, { type: 'oauth2_authorization_code' }>;

/** Credential names the gateway adds after authorization. */
export const ACCESS_TOKEN = 'access_token';
export const REFRESH_TOKEN = 'refresh_token';
export const ACCESS_TOKEN_EXPIRES_AT = 'access_token_expires_at';

/** Refresh this long before expiry, milliseconds. */
export const REFRESH_EARLY_MS = 60_000;

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** A PKCE verifier (32 random bytes → 43 characters) and its S256 challenge (RFC 7636 §4.1-4.2). */
export async function createPkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return { verifier, challenge: base64url(digest) };
}

/** The authorization request URL (RFC 6749 §4.1.1 + RFC 7636 §4.3). */
export function authorizationUrl(
  auth: AuthorizationCodeAuth,
  settings: Record<string, unknown>,
  params: { clientId: string; redirectUri: string; state: string; codeChallenge: string },
): string {
  const url = new URL(expandWithSettings(auth.authorizeUrl, settings));
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', params.clientId);
  url.searchParams.set('redirect_uri', params.redirectUri);
  if (auth.scopes.length) url.searchParams.set('scope', auth.scopes.join(' '));
  url.searchParams.set('state', params.state);
  url.searchParams.set('code_challenge', params.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.toString();
}

type TokenOutcome = { ok: true; credentials: Record<string, string> } | Extract<ToolOutcome, { ok: false }>;

function withTokens(
  credentials: Record<string, string>,
  tokens: { accessToken: string; refreshToken: string | undefined; expiresIn: number },
) {
  const next: Record<string, string> = {
    ...credentials,
    [ACCESS_TOKEN]: tokens.accessToken,
    [ACCESS_TOKEN_EXPIRES_AT]: String(Date.now() + tokens.expiresIn * 1000),
  };
  // RFC 6749 §6: the server MAY issue a new refresh token; if it does not, the old one stays valid.
  if (tokens.refreshToken) next[REFRESH_TOKEN] = tokens.refreshToken;
  return next;
}

function client(auth: AuthorizationCodeAuth, credentials: Record<string, string>) {
  const id = credentials[auth.clientId];
  const secret = credentials[auth.clientSecret];
  return id && secret ? { id, secret } : null;
}

/** Exchanges an authorization code (RFC 6749 §4.1.3) and returns the credentials with the tokens added. */
export async function exchangeAuthorizationCode(
  service: string,
  auth: AuthorizationCodeAuth,
  input: { settings: Record<string, unknown>; credentials: Record<string, string> },
  params: { code: string; redirectUri: string; codeVerifier: string },
  options: ExecuteOptions,
): Promise<TokenOutcome> {
  const c = client(auth, input.credentials);
  if (!c) return { ok: false, kind: 'template', message: `${service}: the installation has no client credentials` };
  const res = await requestToken(
    service,
    auth.tokenUrl,
    input.settings,
    c,
    {
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: params.redirectUri,
      code_verifier: params.codeVerifier,
    },
    options,
  );
  return res.ok ? { ok: true, credentials: withTokens(input.credentials, res.tokens) } : res;
}

/** Whether stored credentials need a refresh before use (expired or expiring within REFRESH_EARLY_MS). */
export function needsRefresh(credentials: Record<string, string>, now = Date.now()): boolean {
  const expiresAt = Number(credentials[ACCESS_TOKEN_EXPIRES_AT]);
  return !credentials[ACCESS_TOKEN] || !Number.isFinite(expiresAt) || expiresAt - REFRESH_EARLY_MS <= now;
}

/** Refreshes the access token (RFC 6749 §6); the new refresh token, when issued, replaces the old one. */
export async function refreshAccessToken(
  service: string,
  auth: AuthorizationCodeAuth,
  input: { settings: Record<string, unknown>; credentials: Record<string, string> },
  options: ExecuteOptions,
): Promise<TokenOutcome> {
  const c = client(auth, input.credentials);
  const refreshToken = input.credentials[REFRESH_TOKEN];
  if (!c || !refreshToken)
    return {
      ok: false,
      kind: 'template',
      message: `${service}: the authorization expired and cannot be refreshed; install the integration again`,
    };
  const grant: Record<string, string> = { grant_type: 'refresh_token', refresh_token: refreshToken };
  const res = await requestToken(service, auth.tokenUrl, input.settings, c, grant, options);
  return res.ok
    ? { ok: true, credentials: withTokens(input.credentials, res.tokens) }
    : { ...res, message: `could not refresh the access token: ${res.message}` };
}
