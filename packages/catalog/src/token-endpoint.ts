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

/**
 * POSTs a grant to a token endpoint (RFC 6749 §3.2) with client authentication (`basic`: §2.3.1 HTTP Basic of the
 * form-urlencoded id and secret; `post`: in the form body) and returns its JSON object answer, whatever its fields.
 * Vendors whose answers depart from §5.1 (Slack's `oauth.v2.access`: HTTP 200 with `ok`, `token_type: "bot"`) read
 * the object themselves; everyone else uses `requestToken`.
 */
export async function postTokenRequest(
  service: string,
  tokenUrl: string,
  client: { id: string; secret: string },
  grant: Record<string, string>,
  options: ExecuteOptions,
  clientAuth: 'basic' | 'post' = 'basic',
): Promise<{ ok: true; json: Record<string, unknown> } | Extract<ToolOutcome, { ok: false }>> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const form = new URLSearchParams(grant);
  if (clientAuth === 'basic')
    headers.authorization = `Basic ${btoa(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`)}`;
  else {
    form.set('client_id', client.id);
    form.set('client_secret', client.secret);
  }
  const res = await guardedFetch(
    `${service} token endpoint`,
    tokenUrl,
    { method: 'POST', headers, body: form.toString() },
    options,
  );
  if (!res.ok) return res;
  let json: unknown;
  try {
    json = JSON.parse(res.text);
  } catch {
    return {
      ok: false,
      kind: 'upstream_status',
      message: `${service} token endpoint did not answer JSON (RFC 6749 §5.1)`,
    };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json))
    return {
      ok: false,
      kind: 'upstream_status',
      message: `${service} token endpoint did not answer a JSON object (RFC 6749 §5.1)`,
    };
  return { ok: true, json: json as Record<string, unknown> };
}

/** Reads an RFC 6749 §5.1 answer: a Bearer `access_token` (RFC 6750), optional `refresh_token` and `expires_in`. */
export function readBearerTokenResponse(
  service: string,
  json: Record<string, unknown>,
): { ok: true; tokens: TokenSet } | Extract<ToolOutcome, { ok: false }> {
  if (
    typeof json.access_token !== 'string' ||
    typeof json.token_type !== 'string' ||
    json.token_type.toLowerCase() !== 'bearer'
  )
    return {
      ok: false,
      kind: 'upstream_status',
      message: `${service} token endpoint did not return a Bearer access_token`,
    };
  return {
    ok: true,
    tokens: {
      accessToken: json.access_token,
      refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
      expiresIn: typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : 3600,
    },
  };
}

/** One grant at an RFC 6749 token endpoint (`tokenUrlTemplate` may use the installation's settings). */
export async function requestToken(
  service: string,
  tokenUrlTemplate: string,
  settings: Record<string, unknown>,
  client: { id: string; secret: string },
  grant: Record<string, string>,
  options: ExecuteOptions,
  clientAuth: 'basic' | 'post' = 'basic',
): Promise<{ ok: true; tokens: TokenSet } | Extract<ToolOutcome, { ok: false }>> {
  const res = await postTokenRequest(
    service,
    expandWithSettings(tokenUrlTemplate, settings),
    client,
    grant,
    options,
    clientAuth,
  );
  return res.ok ? readBearerTokenResponse(service, res.json) : res;
}
