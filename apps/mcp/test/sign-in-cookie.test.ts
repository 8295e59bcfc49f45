/**
 * The sign-in cookie is authentic only under its own HKDF-derived key: a cookie MAC'd with the raw MCP_SIGNING_KEY
 * (the dispatch key), a tampered user id, or an expired one signs nobody in.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SIGN_IN_COOKIE, signInCookie, signedInUser } from '../src/oauth/sign-in-cookie.js';

const USER = '0b6c9f2e-1d4a-4c7b-9e3f-5a8d2c1b7e64';
const OTHER = '7f3e2d1c-0b9a-4876-a5b4-c3d2e1f0a9b8';
const withCookie = (value: string) =>
  new Request('https://gatehouse.test/authorize', { headers: { cookie: `${SIGN_IN_COOKIE}=${value}` } });
const cookieValueOf = (setCookie: string) => setCookie.split(';')[0]!.slice(SIGN_IN_COOKIE.length + 1);

describe('sign-in cookie', () => {
  it('signs the user in for ten minutes', async () => {
    const value = cookieValueOf(await signInCookie(env.MCP_SIGNING_KEY, USER));
    expect(await signedInUser(withCookie(value), env.MCP_SIGNING_KEY)).toBe(USER);
    expect(await signedInUser(withCookie(value), env.MCP_SIGNING_KEY, Date.now() + 601_000)).toBeNull();
  });

  it('refuses a MAC made with the raw signing key, another key, or over another user id', async () => {
    const payload = `${USER}.${Math.floor(Date.now() / 1000) + 600}`;
    const raw = await crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(env.MCP_SIGNING_KEY),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', raw, new TextEncoder().encode(payload)));
    const b64 = btoa(String.fromCharCode(...mac))
      .replace(/\+/g, '-')
      .replace(/\//g, '_')
      .replace(/=+$/, '');
    expect(await signedInUser(withCookie(`${payload}.${b64}`), env.MCP_SIGNING_KEY)).toBeNull();
    expect(
      await signedInUser(
        withCookie(cookieValueOf(await signInCookie('another-signing-key-0123456789abcdef', USER))),
        env.MCP_SIGNING_KEY,
      ),
    ).toBeNull();
    const genuine = cookieValueOf(await signInCookie(env.MCP_SIGNING_KEY, USER));
    expect(await signedInUser(withCookie(genuine.replace(USER, OTHER)), env.MCP_SIGNING_KEY)).toBeNull();
  });
});
