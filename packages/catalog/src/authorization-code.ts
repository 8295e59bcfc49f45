/**
 * Shared facts of the OAuth 2.0 authorization code grant (RFC 6749 §4.1) with PKCE S256 (RFC 7636): the PKCE pair,
 * the credential names of an authorized installation and when its access token needs renewing. The grant itself
 * (authorization URL, code exchange, refresh, state and storage) is @gatehouse/upstream-oauth, one implementation
 * for templates and code providers.
 *
 * Stored credentials of an authorized installation: the client id/secret fields plus `access_token`,
 * `refresh_token` (when issued) and `access_token_expires_at` (epoch milliseconds, as a string).
 */
import { toBase64Url } from '@gatehouse/integrations-core';
import type { TemplateAuth } from './template-schema.js';

export type AuthorizationCodeAuth = Extract<TemplateAuth, { type: 'oauth2_authorization_code' }>;

/** Credential names the gateway adds after authorization. */
export const ACCESS_TOKEN = 'access_token';
export const REFRESH_TOKEN = 'refresh_token';
export const ACCESS_TOKEN_EXPIRES_AT = 'access_token_expires_at';

/** Refresh this long before expiry, milliseconds. */
export const REFRESH_EARLY_MS = 60_000;

/** A PKCE verifier (32 random bytes → 43 characters) and its S256 challenge (RFC 7636 §4.1-4.2). */
export async function createPkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return { verifier, challenge: toBase64Url(digest) };
}

/** Whether stored credentials need a refresh before use (expired or expiring within REFRESH_EARLY_MS). */
export function needsRefresh(credentials: Record<string, string>, now = Date.now()): boolean {
  const expiresAt = Number(credentials[ACCESS_TOKEN_EXPIRES_AT]);
  return !credentials[ACCESS_TOKEN] || !Number.isFinite(expiresAt) || expiresAt - REFRESH_EARLY_MS <= now;
}
