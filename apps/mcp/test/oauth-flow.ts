/**
 * Drives the OAuth flow the way a browser and an MCP client would: dynamic registration, /authorize with sign-in and
 * consent (cookies carried by hand), the code exchange with PKCE. For the OAuth tests.
 */
import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { hashPassword } from '@gatehouse/integrations-core';
import { setUserPasswordHash } from '@gatehouse/integrations-adapters-cf';
import { db } from './helpers.js';

export const ORIGIN = 'https://gatehouse.test';
export const RESOURCE = `${ORIGIN}/mcp`;
export const PASSWORD = 'correct horse battery staple';

export async function setPassword(userId: string) {
  await setUserPasswordHash(db, userId, await hashPassword(PASSWORD, 1000));
}

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

export async function pkce() {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}

export async function register(
  redirectUris: string[] = ['http://127.0.0.1:33418/callback'],
  extra: Record<string, unknown> = {},
) {
  const res = await SELF.fetch(`${ORIGIN}/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'Test Client',
      redirect_uris: redirectUris,
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      ...extra,
    }),
  });
  return { res, body: (await res.json()) as { client_id: string; client_secret?: string; error?: string } };
}

/** A cookie jar: Set-Cookie values in, a Cookie header out. */
export class Jar {
  private readonly cookies = new Map<string, string>();
  take(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

function hidden(html: string, name: string): string {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!m) throw new Error(`no ${name} field in:\n${html.slice(0, 500)}`);
  return m[1]!.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
}

export interface AuthorizeParams {
  clientId: string;
  redirectUri?: string;
  scope?: string;
  challenge: string;
  method?: string | null;
  state?: string;
}

export function authorizeUrl(p: AuthorizeParams): string {
  const url = new URL(`${ORIGIN}/authorize`);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', p.clientId);
  url.searchParams.set('redirect_uri', p.redirectUri ?? 'http://127.0.0.1:33418/callback');
  url.searchParams.set('scope', p.scope ?? 'mcp:read mcp:execute');
  url.searchParams.set('state', p.state ?? 'state-123');
  url.searchParams.set('code_challenge', p.challenge);
  if (p.method !== null) url.searchParams.set('code_challenge_method', p.method ?? 'S256');
  url.searchParams.set('resource', RESOURCE);
  return url.toString();
}

/** Signs in and approves; returns the redirect to the client (with code and state) and the consent page HTML. */
export async function signInAndApprove(
  url: string,
  email: string,
  opts: { scopes?: string[]; password?: string; headers?: Record<string, string>; workspace?: string } = {},
) {
  const jar = new Jar();
  const first = await SELF.fetch(url, { redirect: 'manual' });
  expect(first.status).toBe(200);
  jar.take(first);
  const signInHtml = await first.text();
  const signIn = await SELF.fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...opts.headers, cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      step: 'signin',
      csrf: hidden(signInHtml, 'csrf'),
      email,
      password: opts.password ?? PASSWORD,
    }),
  });
  if (signIn.status !== 303) return { signIn, jar };
  jar.take(signIn);
  const consent = await SELF.fetch(url, { headers: { cookie: jar.header() }, redirect: 'manual' });
  jar.take(consent);
  const consentHtml = await consent.text();
  const form = new URLSearchParams({ handle: hidden(consentHtml, 'handle'), decision: 'approve' });
  for (const s of opts.scopes ?? ['mcp:read', 'mcp:execute']) form.append('scope', s);
  if (opts.workspace) form.set('workspace', opts.workspace);
  const approve = await SELF.fetch(url, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
  });
  return { signIn, consent, consentHtml, approve, jar, location: approve.headers.get('location') };
}

export async function token(params: Record<string, string>) {
  const res = await SELF.fetch(`${ORIGIN}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return {
    res,
    body: (await res.json()) as { access_token?: string; refresh_token?: string; error?: string; scope?: string },
  };
}

/** The whole flow for a user: returns the token response and the client. */
export async function authorize(email: string, opts: { scopes?: string[]; scope?: string; workspace?: string } = {}) {
  const { body: client } = await register();
  const { verifier, challenge } = await pkce();
  const flow = await signInAndApprove(
    authorizeUrl({ clientId: client.client_id, challenge, scope: opts.scope }),
    email,
    opts,
  );
  const code = new URL(flow.location!).searchParams.get('code')!;
  const tokens = await token({
    grant_type: 'authorization_code',
    code,
    redirect_uri: 'http://127.0.0.1:33418/callback',
    client_id: client.client_id,
    code_verifier: verifier,
    resource: RESOURCE,
  });
  return { client, tokens: tokens.body, code, verifier };
}
