import { SELF, env } from 'cloudflare:test';
import { createOAuthState } from '@gatehouse/integrations-adapters-cf';
import { createCredentialsCipher } from '@gatehouse/integrations-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callTool, db, listToolNames, seedTenant } from './helpers.js';
import { fakeHosts } from './vendor-fakes.js';

/**
 * A vendor's OAuth 2.0 authorization server (RFC 6749 §4.1, §6; RFC 7636 S256) and API, as the gateway sees them:
 * codes bound to their PKCE challenge and redirect URI, refresh tokens rotated on use and refused when reused.
 */
const vendor = {
  challenges: new Map<string, { challenge: string; redirectUri: string }>(),
  refreshTokens: new Set<string>(),
  accessTokens: new Set<string>(),
  grants: [] as string[],
  exchangeExpiresIn: 3600,
  n: 0,
};
const CLIENT = `Basic ${btoa('client-1:client-secret-1')}`;

async function s256(verifier: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...d))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/** Every token the vendor issued (realistic lengths: the run history must never hold one). */
const issuedTokens: string[] = [];

function issue(expiresIn: number) {
  const n = ++vendor.n;
  const [access, refresh] = [`at-${n}-${crypto.randomUUID()}`, `rt-${n}-${crypto.randomUUID()}`];
  vendor.accessTokens.add(access);
  vendor.refreshTokens.add(refresh);
  issuedTokens.push(access, refresh);
  return Response.json({ access_token: access, token_type: 'Bearer', expires_in: expiresIn, refresh_token: refresh });
}

beforeAll(() => {
  fakeHosts.set('auth.vendor.example', async (req) => {
    if (new URL(req.url).pathname !== '/oauth/token' || req.method !== 'POST')
      return new Response('not found', { status: 404 });
    if (req.headers.get('authorization') !== CLIENT) return Response.json({ error: 'invalid_client' }, { status: 401 });
    const form = new URLSearchParams(await req.text());
    vendor.grants.push(form.get('grant_type') ?? '');
    if (form.get('grant_type') === 'authorization_code') {
      const pending = vendor.challenges.get(form.get('code') ?? '');
      vendor.challenges.delete(form.get('code') ?? '');
      if (
        !pending ||
        pending.redirectUri !== form.get('redirect_uri') ||
        pending.challenge !== (await s256(form.get('code_verifier') ?? ''))
      )
        return Response.json({ error: 'invalid_grant' }, { status: 400 });
      return issue(vendor.exchangeExpiresIn);
    }
    if (form.get('grant_type') === 'refresh_token') {
      const rt = form.get('refresh_token') ?? '';
      if (!vendor.refreshTokens.delete(rt)) return Response.json({ error: 'invalid_grant' }, { status: 400 });
      return issue(3600);
    }
    return Response.json({ error: 'unsupported_grant_type' }, { status: 400 });
  });
  fakeHosts.set('api.vendor.example', (req) => {
    const token = (req.headers.get('authorization') ?? '').replace(/^Bearer /, '');
    if (!vendor.accessTokens.has(token)) return Response.json({ error: 'invalid_token' }, { status: 401 });
    return Response.json({ id: 'u-1', token_used: token });
  });
});
afterAll(() => {
  fakeHosts.delete('auth.vendor.example');
  fakeHosts.delete('api.vendor.example');
});

const template = {
  slug: 'vendor-app',
  name: 'Vendor App',
  description: 'A service behind OAuth',
  docsUrl: 'https://docs.vendor.example/',
  baseUrl: 'https://api.vendor.example',
  auth: {
    type: 'oauth2_authorization_code',
    authorizeUrl: 'https://auth.vendor.example/authorize',
    tokenUrl: 'https://auth.vendor.example/oauth/token',
    clientId: 'client_id',
    clientSecret: 'client_secret',
    scopes: ['read:me'],
  },
  credentials: [
    { name: 'client_id', description: 'OAuth client id', secret: false },
    { name: 'client_secret', description: 'OAuth client secret' },
  ],
  settings: [],
  tools: [
    {
      name: 'get_me',
      title: 'Me',
      description: 'Who the token is',
      docsUrl: 'https://docs.vendor.example/me',
      method: 'GET',
      path: '/v1/me',
      inputSchema: { type: 'object', properties: {} },
    },
  ],
};

/** Installs the template and plays the person approving at the vendor: returns the callback URL to visit. */
async function startInstall(token: string, title: string) {
  const out = await callTool(token, 'install_integration', {
    template: 'vendor-app',
    title,
    credentials: { client_id: 'client-1', client_secret: 'client-secret-1' },
  });
  expect(out.isError, out.text).toBe(false);
  const url = new URL(out.json.authorization_url);
  expect(url.origin + url.pathname).toBe('https://auth.vendor.example/authorize');
  expect(Object.fromEntries(url.searchParams)).toMatchObject({
    response_type: 'code',
    client_id: 'client-1',
    redirect_uri: 'https://gatehouse.test/oauth/callback',
    scope: 'read:me',
    code_challenge_method: 'S256',
  });
  expect(out.text).not.toContain('client-secret-1');
  const code = `code-${crypto.randomUUID()}`;
  vendor.challenges.set(code, {
    challenge: url.searchParams.get('code_challenge')!,
    redirectUri: url.searchParams.get('redirect_uri')!,
  });
  return { out, state: url.searchParams.get('state')!, code };
}

const callback = (query: string) => SELF.fetch(`https://gatehouse.test/oauth/callback?${query}`);

describe('templates with the OAuth 2.0 authorization code grant', () => {
  it('installs pending, activates at the callback with PKCE, and calls with the access token', async () => {
    const { token } = await seedTenant('oauth-flow');
    await callTool(token, 'create_integration', { template });
    const { state, code, out } = await startInstall(token, 'Vendor');
    expect(out.json.installed.status).toBe('pending_authorization');
    expect(await listToolNames(token)).not.toContain('get_me');

    const res = await callback(`code=${code}&state=${state}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(await res.text()).toMatch(/Vendor is connected/);
    expect(await listToolNames(token)).toContain('get_me');
    const me = await callTool(token, 'get_me', {});
    expect(me.json).toMatchObject({ id: 'u-1' });
    expect(me.text).not.toMatch(/rt-\d/);

    // The state is single-use.
    const again = await callback(`code=${code}&state=${state}`);
    expect(again.status).toBe(400);
    expect(await again.text()).toMatch(/expired or was already used/);
  });

  it('refuses an unknown state, a forged code and a declined authorization, activating nothing', async () => {
    const { token } = await seedTenant('oauth-refusals');
    await callTool(token, 'create_integration', { template });
    expect((await callback('code=x&state=forged-state')).status).toBe(400);
    const forged = await startInstall(token, 'Vendor Forged');
    expect((await callback(`code=not-issued&state=${forged.state}`)).status).toBe(502);
    const declined = await startInstall(token, 'Vendor Declined');
    const res = await callback(`error=access_denied&state=${declined.state}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/access_denied/);
    expect(await listToolNames(token)).not.toContain('get_me');
  });

  it('refuses a state issued for a code provider’s install, even one naming a pending template installation', async () => {
    const { token, org, ws, user } = await seedTenant('oauth-foreign-state');
    await callTool(token, 'create_integration', { template });
    const { code } = await startInstall(token, 'Vendor Foreign');
    const pending = await db.$client
      .prepare('select id from installations where organization_id = ? and title = ?')
      .bind(org.id, 'Vendor Foreign')
      .first<{ id: string }>();
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    const foreign = await createOAuthState(
      db,
      { organizationId: org.id, workspaceId: ws.id },
      {
        provider: 'linear',
        userId: user.id,
        payload: await cipher.encrypt({
          installationId: pending!.id,
          codeVerifier: 'v'.repeat(43),
          redirectUri: 'https://gatehouse.test/oauth/callback',
        }),
      },
    );
    const exchanges = vendor.grants.filter((g) => g === 'authorization_code').length;
    const res = await callback(`code=${code}&state=${foreign.state}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/expired or was already used/);
    expect(vendor.grants.filter((g) => g === 'authorization_code').length).toBe(exchanges);
    expect(await listToolNames(token)).not.toContain('get_me');
  });

  it('finishes a pending authorization with the pinned version, not a newer one that moved the token URL', async () => {
    const { token } = await seedTenant('oauth-pinned-callback');
    await callTool(token, 'create_integration', { template });
    const { state, code } = await startInstall(token, 'Vendor Pinned');
    // Between the start and the callback, the template's token endpoint is re-pointed elsewhere (held back: it
    // changes where the client secret and the code go).
    const moved = await callTool(token, 'update_integration', {
      slug: 'vendor-app',
      patch: {
        op: 'set',
        field: 'auth',
        value: { ...template.auth, tokenUrl: 'https://collector.attacker.example/token' },
      },
    });
    expect(moved.json.installations_awaiting_approval).toHaveLength(1);
    const exchanges = vendor.grants.filter((g) => g === 'authorization_code').length;
    const res = await callback(`code=${code}&state=${state}`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(vendor.grants.filter((g) => g === 'authorization_code').length).toBe(exchanges + 1);
  });

  it('refreshes an expiring token once even when calls race, rotating the refresh token', async () => {
    const { token } = await seedTenant('oauth-refresh');
    await callTool(token, 'create_integration', { template });
    vendor.exchangeExpiresIn = 30; // inside the 60 s early-refresh window: the next call must refresh
    const { state, code } = await startInstall(token, 'Vendor');
    expect((await callback(`code=${code}&state=${state}`)).status).toBe(200);
    vendor.exchangeExpiresIn = 3600;
    const before = vendor.grants.filter((g) => g === 'refresh_token').length;
    const [a, b] = await Promise.all([callTool(token, 'get_me', {}), callTool(token, 'get_me', {})]);
    expect(a.isError, a.text).toBe(false);
    expect(b.isError, b.text).toBe(false);
    expect(a.json.token_used).toBe(b.json.token_used);
    expect(vendor.grants.filter((g) => g === 'refresh_token').length).toBe(before + 1);
    // The rotated token is stored: later calls need no refresh and use the same access token.
    expect((await callTool(token, 'get_me', {})).json.token_used).toBe(a.json.token_used);
  });

  it('turns needs_reauth when the vendor refuses the refresh (revoked grant), and says to install again', async () => {
    const { token } = await seedTenant('oauth-refresh-refused');
    await callTool(token, 'create_integration', { template });
    vendor.exchangeExpiresIn = 30; // the next call refreshes
    const { state, code } = await startInstall(token, 'Vendor');
    expect((await callback(`code=${code}&state=${state}`)).status).toBe(200);
    vendor.exchangeExpiresIn = 3600;
    vendor.refreshTokens.clear(); // the grant was revoked at the vendor: every refresh token is refused
    const refused = await callTool(token, 'get_me', {});
    expect(refused.isError).toBe(true);
    const installed = (await callTool(token, 'list_installed_integrations', {})).json.installations[0];
    expect(installed).toMatchObject({
      status: 'needs_reauth',
      health: { needs_reauth: true, last_failure: { kind: 'oauth_refresh_failed' } },
    });
    const grants = vendor.grants.length;
    const blocked = await callTool(token, 'get_me', {});
    expect(blocked.text).toMatch(/needs re-authorization/);
    expect(vendor.grants.length).toBe(grants); // no further refresh attempt
    const paste = await callTool(token, 'update_integration_credentials', {
      integration: installed.handle,
      credentials: { client_id: 'client-1', client_secret: 'client-secret-1' },
    });
    expect(paste).toMatchObject({ isError: true, text: expect.stringMatching(/install it again to re-authorize/) });
  });

  it('keeps every OAuth token out of the run history: the refresh exchange, and an API that echoes its token', async () => {
    const { token, org } = await seedTenant('oauth-history');
    await callTool(token, 'create_integration', { template });
    vendor.exchangeExpiresIn = 30;
    const { state, code } = await startInstall(token, 'Vendor');
    expect((await callback(`code=${code}&state=${state}`)).status).toBe(200);
    vendor.exchangeExpiresIn = 3600;
    // Refreshes (the token exchange is one of the call's upstream exchanges), then echoes the new access token.
    const me = await callTool(token, 'get_me', {});
    expect(me.isError, me.text).toBe(false);
    const echoed = me.json.token_used as string;
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 100 && !rows.some((r) => r.tool === 'get_me'); i++) {
      await new Promise((r) => setTimeout(r, 20));
      rows = (
        await env.AUTH_DB.prepare('select * from run_history_items where organization_id = ?')
          .bind(org.id)
          .all<Record<string, unknown>>()
      ).results;
    }
    const call = rows.find((r) => r.tool === 'get_me')!;
    expect(call).toBeDefined();
    const stored = [JSON.stringify(rows)];
    if (typeof call.body_key === 'string') stored.push(await (await env.RUN_HISTORY.get(call.body_key))!.text());
    const text = stored.join('\n');
    // The exchanges were recorded (the token request and the API call), with the tokens redacted.
    expect(text).toContain('/oauth/token');
    expect(text).toContain('/v1/me');
    for (const secret of [...issuedTokens, echoed, 'client-secret-1', btoa('client-1:client-secret-1')])
      expect(text).not.toContain(secret);
  });
});
