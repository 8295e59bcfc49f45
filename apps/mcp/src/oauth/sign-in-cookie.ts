/**
 * The short sign-in on the authorization page: after a correct e-mail and password, a `__Host-` cookie (Secure,
 * HttpOnly, SameSite=Lax, path /) carries `<userId>.<expiry>.<HMAC-SHA256>` for ten minutes, long enough to approve
 * the consent that follows. The HMAC key is derived from MCP_SIGNING_KEY with HKDF-SHA256 (RFC 5869) and its own
 * `info` label, so it is independent of the key that signs dispatches. A CSRF token (double-submit cookie) protects the sign-in form itself.
 */
import { fromBase64Url, randomBase64Url, toBase64Url } from '@gatehouse/integrations-core';

export const SIGN_IN_COOKIE = '__Host-gatehouse-signin';
export const CSRF_COOKIE = '__Host-gatehouse-csrf';
const TTL_SEC = 600;
const encoder = new TextEncoder();

/** HKDF `info` of the sign-in cookie key (RFC 5869 §3.2: binds the derived key to its one purpose). */
const KEY_INFO = encoder.encode('gatehouse sign-in cookie v1');

async function key(secret: string): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: KEY_INFO },
    ikm,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

function cookie(name: string, value: string, maxAge: number): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Lax`;
}

/** Reads one cookie from a request. */
export function readCookie(req: Request, name: string): string | null {
  for (const part of (req.headers.get('cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return null;
}

/** The Set-Cookie value that signs `userId` in for ten minutes. */
export async function signInCookie(secret: string, userId: string, now = Date.now()): Promise<string> {
  const payload = `${userId}.${Math.floor(now / 1000) + TTL_SEC}`;
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', await key(secret), encoder.encode(payload)));
  return cookie(SIGN_IN_COOKIE, `${payload}.${toBase64Url(mac)}`, TTL_SEC);
}

/** The signed-in user id, when the cookie is present, authentic and unexpired. */
export async function signedInUser(req: Request, secret: string, now = Date.now()): Promise<string | null> {
  const value = readCookie(req, SIGN_IN_COOKIE);
  const m = value ? /^([0-9a-f-]{36})\.(\d+)\.([\w-]+)$/.exec(value) : null;
  if (!m) return null;
  const [, userId, exp, mac] = m as unknown as [string, string, string, string];
  if (Number(exp) * 1000 <= now) return null;
  const sig = fromBase64Url(mac);
  if (!sig) return null;
  const ok = await crypto.subtle.verify('HMAC', await key(secret), sig, encoder.encode(`${userId}.${exp}`));
  return ok ? userId : null;
}

/** A fresh CSRF token and its Set-Cookie value. */
export function csrfToken(): { token: string; setCookie: string } {
  const token = randomBase64Url(24);
  return { token, setCookie: cookie(CSRF_COOKIE, token, TTL_SEC) };
}

/** Whether the form's CSRF token matches the cookie (constant time over equal lengths). */
export function csrfMatches(req: Request, formToken: string): boolean {
  const cookieToken = readCookie(req, CSRF_COOKIE);
  if (!cookieToken || cookieToken.length !== formToken.length) return false;
  let diff = 0;
  for (let i = 0; i < formToken.length; i++) diff |= formToken.charCodeAt(i) ^ cookieToken.charCodeAt(i);
  return diff === 0;
}
