/**
 * The one authorization code flow builder, for a code provider's facts and for a template's auth: the
 * authorization URL (RFC 6749 §4.1.1 + RFC 7636 §4.3), the code exchange (§4.1.3) with either client
 * authentication (§2.3.1), the refresh (§6) with and without rotation, and its refusals. The token endpoint is a
 * local stand-in behind the injected fetch that answers like an RFC 6749 server and records what it was sent.
 */
import { describe, expect, it } from 'vitest';
import type { IntegrationTemplate } from '@gatehouse/catalog';
import { authorizationCodeFlow, templateAuthorizationFlow } from '../src/index.js';

interface Sent {
  url: string;
  authorization: string | null;
  form: Record<string, string>;
}

/** A token endpoint answering `answer` (or a 400 `invalid_grant` for code `bad`), recording each request. */
function tokenEndpoint(answer: Record<string, unknown>) {
  const sent: Sent[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const form = Object.fromEntries(new URLSearchParams(String(init?.body ?? '')));
    const headers = new Headers(init?.headers);
    sent.push({ url: String(input), authorization: headers.get('authorization'), form });
    if (form.code === 'bad') return Response.json({ error: 'invalid_grant' }, { status: 400 });
    return Response.json(answer);
  }) as typeof globalThis.fetch;
  return { sent, outbound: { fetch, allowLoopback: false } };
}

const appFields = [{ name: 'client_id', description: 'id', secret: false, required: true }];
const request = { state: 's-1', redirectUri: 'https://gw.example/cb', codeChallenge: 'c'.repeat(43), settings: {} };
const exchange = { redirectUri: request.redirectUri, codeVerifier: 'v'.repeat(43), settings: {} };

const vendor = authorizationCodeFlow({
  service: 'Vendor',
  authorizeUrl: () => 'https://vendor.example/oauth/authorize',
  tokenUrl: () => 'https://api.vendor.example/oauth/token',
  scopes: ['read', 'write'],
  scopeSeparator: ',',
  extraAuthorizeParams: { actor: 'app' },
  clientAuth: 'post',
  appFields,
});
const app = { client_id: 'cid', client_secret: 'csecret', webhook_secret: 'kept' };

describe('authorizationCodeFlow', () => {
  it('builds the authorization URL with PKCE S256, the state, the scopes as the vendor joins them and extras', () => {
    const url = new URL(vendor.authorizationUrl(app, request));
    expect(url.origin + url.pathname).toBe('https://vendor.example/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'cid',
      redirect_uri: 'https://gw.example/cb',
      scope: 'read,write',
      state: 's-1',
      code_challenge: 'c'.repeat(43),
      code_challenge_method: 'S256',
      actor: 'app',
    });
  });

  it('exchanges the code with the verifier and stores the tokens beside the app fields', async () => {
    const endpoint = tokenEndpoint({
      access_token: 'at-1',
      token_type: 'Bearer',
      refresh_token: 'rt-1',
      expires_in: 60,
    });
    const before = Date.now();
    const done = await vendor.complete(new URLSearchParams({ code: 'good' }), app, {
      ...exchange,
      outbound: endpoint.outbound,
    });
    expect(endpoint.sent).toEqual([
      {
        url: 'https://api.vendor.example/oauth/token',
        authorization: null,
        form: {
          grant_type: 'authorization_code',
          code: 'good',
          redirect_uri: 'https://gw.example/cb',
          code_verifier: 'v'.repeat(43),
          client_id: 'cid',
          client_secret: 'csecret',
        },
      },
    ]);
    if (!done.ok) throw new Error(done.message);
    expect(done.credentials).toMatchObject({ ...app, access_token: 'at-1', refresh_token: 'rt-1' });
    const expiresAt = Number(done.credentials.access_token_expires_at);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it('refuses a missing code, missing client credentials and a refused grant, never echoing a secret', async () => {
    const endpoint = tokenEndpoint({ access_token: 'at', token_type: 'Bearer' });
    const ctx = { ...exchange, outbound: endpoint.outbound };
    expect(await vendor.complete(new URLSearchParams(), app, ctx)).toEqual({
      ok: false,
      message: 'The callback has no code.',
    });
    // Refusals that only a new authorization fixes say so (`refused`: connection health marks needs_reauth).
    expect(await vendor.complete(new URLSearchParams({ code: 'good' }), { client_id: 'cid' }, ctx)).toEqual({
      ok: false,
      message: 'Vendor: the installation has no client credentials',
      refused: true,
    });
    const refused = await vendor.complete(new URLSearchParams({ code: 'bad' }), app, ctx);
    expect(refused).toMatchObject({ ok: false, refused: true });
    expect(JSON.stringify(refused)).toMatch(/400/);
    expect(JSON.stringify(refused)).not.toContain('csecret');
    expect(endpoint.sent).toHaveLength(1);
  });

  it('refreshes with the refresh token, keeping it when the server issues none and replacing it when rotated', async () => {
    const stored = { ...app, access_token: 'old', refresh_token: 'rt-1', access_token_expires_at: '1' };
    const kept = tokenEndpoint({ access_token: 'at-2', token_type: 'bearer' });
    const a = await vendor.refresh!(stored, { settings: {}, outbound: kept.outbound });
    expect(kept.sent[0]!.form).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
    // No expires_in and no assumed lifetime: the token is taken not to expire.
    expect(a).toEqual({ ok: true, credentials: { ...app, access_token: 'at-2', refresh_token: 'rt-1' } });
    const rotated = tokenEndpoint({ access_token: 'at-3', token_type: 'Bearer', refresh_token: 'rt-2' });
    const b = await vendor.refresh!(stored, { settings: {}, outbound: rotated.outbound });
    expect(b).toMatchObject({ ok: true, credentials: { access_token: 'at-3', refresh_token: 'rt-2' } });
    const none = await vendor.refresh!({ ...app, access_token: 'old' }, { settings: {}, outbound: kept.outbound });
    expect(none).toEqual({
      ok: false,
      message: 'the Vendor access token expired and there is no refresh token; install again',
      refused: true,
    });
  });
});

describe('a renewal that fails', () => {
  it('is a refusal when the token endpoint answers with an error, not when it cannot be reached', async () => {
    const stored = { ...app, access_token: 'old', refresh_token: 'rt-1', access_token_expires_at: '1' };
    const answering = (async () =>
      Response.json({ error: 'invalid_grant' }, { status: 400 })) as unknown as typeof fetch;
    const refused = await vendor.refresh!(stored, {
      settings: {},
      outbound: { fetch: answering, allowLoopback: false },
    });
    expect(refused).toMatchObject({ ok: false, refused: true });
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const unreachable = await vendor.refresh!(stored, {
      settings: {},
      outbound: { fetch: down, allowLoopback: false },
    });
    expect(unreachable).toMatchObject({ ok: false, refused: false });
  });
});

describe('templateAuthorizationFlow', () => {
  const template = {
    slug: 'desk',
    name: 'Desk',
    credentials: [{ name: 'app_id', description: 'id', secret: false, required: true }],
    auth: {
      type: 'oauth2_authorization_code',
      authorizeUrl: 'https://{settings.site}.desk.example/oauth/authorize',
      tokenUrl: 'https://{settings.site}.desk.example/oauth/token',
      clientId: 'app_id',
      clientSecret: 'app_secret',
      scopes: ['read:me', 'write:tickets'],
    },
  } as unknown as IntegrationTemplate & { auth: { type: 'oauth2_authorization_code' } };
  const flow = templateAuthorizationFlow(template as never);
  const creds = { app_id: 'tid', app_secret: 'tsecret' };

  it('expands its URLs with the settings, joins scopes with spaces and names its own client fields', () => {
    const url = new URL(flow.authorizationUrl(creds, { ...request, settings: { site: 'acme' } }));
    expect(url.origin + url.pathname).toBe('https://acme.desk.example/oauth/authorize');
    expect(url.searchParams.get('scope')).toBe('read:me write:tickets');
    expect(url.searchParams.get('client_id')).toBe('tid');
  });

  it('authenticates with HTTP Basic and assumes an hour when the answer has no expires_in', async () => {
    const endpoint = tokenEndpoint({ access_token: 'at', token_type: 'Bearer' });
    const before = Date.now();
    const done = await flow.complete(new URLSearchParams({ code: 'good' }), creds, {
      ...exchange,
      settings: { site: 'acme' },
      outbound: endpoint.outbound,
    });
    expect(endpoint.sent[0]!.url).toBe('https://acme.desk.example/oauth/token');
    expect(endpoint.sent[0]!.authorization).toBe(`Basic ${btoa('tid:tsecret')}`);
    expect(endpoint.sent[0]!.form).not.toHaveProperty('client_secret');
    if (!done.ok) throw new Error(done.message);
    expect(Number(done.credentials.access_token_expires_at)).toBeGreaterThanOrEqual(before + 3_600_000);
  });
});
