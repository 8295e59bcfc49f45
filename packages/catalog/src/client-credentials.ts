/**
 * OAuth 2.0 client credentials grant for template auth (RFC 6749 §4.4): POST `grant_type=client_credentials` to the
 * token endpoint with client_secret_basic (§2.3.1: form-urlencoded id and secret in HTTP Basic), read `access_token`,
 * `token_type` (must be Bearer, RFC 6750) and `expires_in` (§5.1). Tokens are cached per isolate under the
 * installation's id until 60 s before they expire; a token never appears in a message.
 */
import type { ExecuteOptions, ToolOutcome } from './guarded-fetch.js';
import { requestToken } from './token-endpoint.js';
import type { TemplateAuth } from './template-schema.js';

type ClientCredentialsAuth = Extract<TemplateAuth, { type: 'oauth2_client_credentials' }>;

const EARLY_REFRESH_MS = 60_000;
const MAX_CACHED = 1_000;
const cache = new Map<string, { accessToken: string; expiresAt: number }>();

export async function clientCredentialsToken(
  service: string,
  auth: ClientCredentialsAuth,
  input: { settings: Record<string, unknown>; credentials: Record<string, string> },
  options: ExecuteOptions & { tokenCacheKey?: string },
): Promise<{ ok: true; accessToken: string } | Extract<ToolOutcome, { ok: false }>> {
  const clientId = input.credentials[auth.clientId];
  const clientSecret = input.credentials[auth.clientSecret];
  if (!clientId || !clientSecret)
    return {
      ok: false,
      kind: 'template',
      message: `${service}: credentials "${auth.clientId}" and "${auth.clientSecret}" are required`,
    };
  const key = options.tokenCacheKey ? `${options.tokenCacheKey}\u0000${clientId}` : undefined;
  const hit = key ? cache.get(key) : undefined;
  if (hit && hit.expiresAt > Date.now()) return { ok: true, accessToken: hit.accessToken };

  const grant: Record<string, string> = { grant_type: 'client_credentials' };
  if (auth.scopes.length) grant.scope = auth.scopes.join(' ');
  const res = await requestToken(
    service,
    auth.tokenUrl,
    input.settings,
    { id: clientId, secret: clientSecret },
    grant,
    options,
  );
  if (!res.ok) return { ...res, message: `could not obtain an access token: ${res.message}` };
  const { accessToken, expiresIn } = res.tokens;
  if (key) {
    if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
    cache.set(key, { accessToken, expiresAt: Date.now() + expiresIn * 1000 - EARLY_REFRESH_MS });
  }
  return { ok: true, accessToken };
}
