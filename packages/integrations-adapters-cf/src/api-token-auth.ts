/**
 * API-token authentication shared by both workers (/mcp, /install/<id>). `Authorization: Bearer <token>` (RFC 6750 §2.1); the MCP authorization spec
 * (2025-06-18 §Access Token Usage) forbids tokens in the query string, so `?access_token=` is refused.
 *
 * Errors follow RFC 6750 §3: 401 with `WWW-Authenticate: Bearer realm="gatehouse"` when no token was sent, plus
 * `error="invalid_token"` when one was sent and is unknown, revoked or expired.
 */
import type { Db } from './db.js';
import { findPrincipalByTokenHash, type Principal, type PrincipalSession } from './principals.js';
import { looksLikeApiToken, sha256Hex } from '@gatehouse/integrations-core';

export type AuthResult =
  | { ok: true; principal: Principal; session: PrincipalSession | null }
  | { ok: false; status: 400 | 401; error: 'invalid_request' | 'invalid_token' | null; description: string };

const REALM = 'gatehouse';

/**
 * Authenticates the request's bearer API token with one indexed D1 read. With `sessionId` (the request's
 * Mcp-Session-Id) the same read also returns that session if it is live and the principal's.
 */
export async function authenticate(req: Request, db: Db, sessionId?: string): Promise<AuthResult> {
  if (new URL(req.url).searchParams.has('access_token'))
    return {
      ok: false,
      status: 400,
      error: 'invalid_request',
      description: 'send the token in the Authorization header, not the query string',
    };
  const header = req.headers.get('authorization');
  if (!header) return { ok: false, status: 401, error: null, description: 'missing Authorization: Bearer <API token>' };
  const m = /^Bearer +([^\s]+)\s*$/i.exec(header);
  if (!m)
    return {
      ok: false,
      status: 401,
      error: 'invalid_request',
      description: 'Authorization must be "Bearer <API token>"',
    };
  const token = m[1]!;
  if (!looksLikeApiToken(token))
    return { ok: false, status: 401, error: 'invalid_token', description: 'the token is not a Gatehouse API token' };
  const found = await findPrincipalByTokenHash(db, await sha256Hex(token), Date.now(), sessionId);
  if (!found)
    return { ok: false, status: 401, error: 'invalid_token', description: 'the token is unknown, revoked or expired' };
  const { session, ...principal } = found;
  return { ok: true, principal, session };
}

/** The `WWW-Authenticate` header value for a refusal. */
export function wwwAuthenticate(result: Extract<AuthResult, { ok: false }>): string {
  const params = [`realm="${REALM}"`];
  if (result.error) params.push(`error="${result.error}"`, `error_description="${result.description}"`);
  return `Bearer ${params.join(', ')}`;
}
