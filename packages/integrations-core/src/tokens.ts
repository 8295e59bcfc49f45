/**
 * API token format and hashing. Tokens are `gth_` + 43 base64url characters (32 random bytes). Only the hex
 * SHA-256 is stored: with 256 bits of entropy a fast hash is enough (no password-style KDF needed), and lookup stays
 * one indexed SELECT.
 */
import { randomBase64Url } from './base64url.js';
import { toHex } from './hex.js';

const TOKEN_PREFIX = 'gth_';

/** Hex SHA-256 of a UTF-8 string. */
export async function sha256Hex(value: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return toHex(digest);
}

/** A fresh API token. Show it once; store `sha256Hex(token)`. */
export function generateApiToken(): string {
  return TOKEN_PREFIX + randomBase64Url(32);
}

/** True when the string has the API token shape (cheap pre-check before any database read). */
export function looksLikeApiToken(value: string): boolean {
  return /^gth_[A-Za-z0-9_-]{43}$/.test(value);
}

/** The part of a token safe to show in lists. */
export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, 10);
}
