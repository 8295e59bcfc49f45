/**
 * One request to an OAuth 2.0 token endpoint (RFC 6749 §3.2): form-encoded grant parameters, client authentication
 * with client_secret_basic (§2.3.1: id and secret form-urlencoded, then HTTP Basic), a JSON answer with a Bearer
 * `access_token` (§5.1, RFC 6750), optional `refresh_token` and `expires_in` (seconds). Errors name the endpoint and
 * the status, never a token or secret.
 */
import { guardedFetch, type ExecuteOptions, type ToolOutcome } from './guarded-fetch.js';
import { expandWithSettings } from './render-request.js';

export interface TokenSet {
  accessToken: string;
  refreshToken: string | undefined;
  /** Lifetime in seconds (3600 when the server does not say). */
  expiresIn: number;
}

export async function requestToken(
  service: string,
  tokenUrlTemplate: string,
  settings: Record<string, unknown>,
  client: { id: string; secret: string },
  grant: Record<string, string>,
  options: ExecuteOptions,
  clientAuth: 'basic' | 'post' = 'basic',
): Promise<{ ok: true; tokens: TokenSet } | Extract<ToolOutcome, { ok: false }>> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  const form = new URLSearchParams(grant);
  if (clientAuth === 'basic') headers.authorization = `Basic ${btoa(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`)}`;
  else {
    form.set('client_id', client.id);
    form.set('client_secret', client.secret);
  }
  const res = await guardedFetch(`${service} token endpoint`, expandWithSettings(tokenUrlTemplate, settings), { method: 'POST', headers, body: form.toString() }, options);
  if (!res.ok) return res;
  let json: { access_token?: unknown; token_type?: unknown; expires_in?: unknown; refresh_token?: unknown };
  try {
    json = JSON.parse(res.text) as typeof json;
  } catch {
    return { ok: false, kind: 'upstream_status', message: `${service} token endpoint did not answer JSON (RFC 6749 §5.1)` };
  }
  if (!json || typeof json !== 'object') return { ok: false, kind: 'upstream_status', message: `${service} token endpoint did not answer a JSON object (RFC 6749 §5.1)` };
  if (typeof json.access_token !== 'string' || typeof json.token_type !== 'string' || json.token_type.toLowerCase() !== 'bearer')
    return { ok: false, kind: 'upstream_status', message: `${service} token endpoint did not return a Bearer access_token` };
  return {
    ok: true,
    tokens: {
      accessToken: json.access_token,
      refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
      expiresIn: typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600,
    },
  };
}
