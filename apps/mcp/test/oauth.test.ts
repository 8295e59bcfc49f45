import { SELF } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { callTool, crm, db, initialize, post, seedTenant } from './helpers.js';
import { upsertMember } from '@gatehouse/integrations-adapters-cf';
import {
  ORIGIN,
  RESOURCE,
  authorize,
  authorizeUrl,
  pkce,
  register,
  setPassword,
  signInAndApprove,
  token,
} from './oauth-flow.js';

async function mcpWith(accessToken: string, message: unknown, sessionId?: string) {
  return post(accessToken, message, {
    ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}),
  });
}

describe('OAuth discovery', () => {
  it('publishes RFC 9728 resource metadata for exactly the MCP URL, at both well-known forms', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const res = await SELF.fetch(`${ORIGIN}${path}`);
      expect(res.status, path).toBe(200);
      expect(await res.json()).toMatchObject({
        resource: RESOURCE,
        authorization_servers: [ORIGIN],
        scopes_supported: ['mcp:read'],
      });
    }
  });

  it('publishes RFC 8414 metadata with S256 only', async () => {
    const meta = (await (await SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    expect(meta).toMatchObject({
      issuer: ORIGIN,
      authorization_endpoint: `${ORIGIN}/authorize`,
      token_endpoint: `${ORIGIN}/token`,
      registration_endpoint: `${ORIGIN}/register`,
      code_challenge_methods_supported: ['S256'],
    });
    expect(meta.scopes_supported).toEqual(['mcp:read', 'mcp:write', 'mcp:execute', 'mcp:admin']);
  });
});

describe('OAuth authorization code flow', () => {
  it('signs in, consents, exchanges the code, lists and calls tools, and refreshes with rotation', async () => {
    const { user, token: apiToken } = await seedTenant('oauth-happy', 'ADMIN');
    void apiToken;
    await setPassword(user.id);
    const { tokens, client } = await authorize(user.email);
    expect(tokens.access_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();

    const init = await mcpWith(tokens.access_token!, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'oauth', version: '1' } },
    });
    expect(init.status).toBe(200);
    const sessionId = init.headers.get('mcp-session-id')!;
    const list = (await (
      await mcpWith(tokens.access_token!, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, sessionId)
    ).json()) as { result: { tools: { name: string }[] } };
    const names = list.result.tools.map((t) => t.name);
    // Granted mcp:read + mcp:execute: read tools yes; install (mcp:write) and builder (mcp:admin) not listed.
    expect(names).toContain('get_my_profile');
    expect(names).not.toContain('install_integration');
    expect(names).not.toContain('create_integration');

    const refreshed = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.client_id,
    });
    expect(refreshed.res.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.refresh_token);
    // Rotation: once the new refresh token is used, the rotated one is dead (the library keeps the previous one only
    // until its replacement is first used, so a client that lost a refresh response can retry).
    const next = await token({
      grant_type: 'refresh_token',
      refresh_token: refreshed.body.refresh_token!,
      client_id: client.client_id,
    });
    expect(next.res.status).toBe(200);
    const reused = await token({
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token!,
      client_id: client.client_id,
    });
    expect(reused.body.error).toBe('invalid_grant');
    const refreshedAccess = await mcpWith(
      next.body.access_token!,
      { jsonrpc: '2.0', id: 9, method: 'tools/list' },
      sessionId,
    );
    expect(refreshedAccess.status).toBe(200);
  });

  it('challenges a 2026-07-28 tools/call outside the granted scopes exactly as a 2025 one', async () => {
    const { user, token: apiToken } = await seedTenant('oauth-scope-modern', 'ADMIN');
    await setPassword(user.id);
    const { tokens } = await authorize(user.email, { scope: 'mcp:read', scopes: ['mcp:read'] });
    const install = {
      template: 'zendesk',
      credentials: { email: 'a@b.c', api_token: 't' },
      settings: { instance_url: 'https://acme.zendesk.com' },
    };
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const res = await post(
      tokens.access_token!,
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'install_integration', arguments: install, _meta: meta },
      },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'install_integration' },
    );
    expect(res.status).toBe(403);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/error="insufficient_scope"/);
    expect(challenge).toMatch(/scope="mcp:read mcp:write"/);
    expect((await callTool(apiToken, 'list_installed_integrations', {})).json.installations).toEqual([]);
    // Within its scopes the same token is served statelessly.
    const list = await post(
      tokens.access_token!,
      { jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: meta } },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    );
    expect(list.status).toBe(200);
    expect(((await list.json()) as { result: { resultType: string } }).result.resultType).toBe('complete');
  });

  it('answers a tools/call outside the granted scopes with 403 insufficient_scope, before running it', async () => {
    const { user, token: apiToken } = await seedTenant('oauth-scope', 'ADMIN');
    await setPassword(user.id);
    const { tokens } = await authorize(user.email, { scope: 'mcp:read', scopes: ['mcp:read'] });
    const init = await mcpWith(tokens.access_token!, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'o', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    const install = {
      template: 'zendesk',
      credentials: { email: 'a@b.c', api_token: 't' },
      settings: { instance_url: 'https://acme.zendesk.com' },
    };
    const res = await mcpWith(
      tokens.access_token!,
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'install_integration', arguments: install } },
      sessionId,
    );
    expect(res.status).toBe(403);
    // Nothing ran: no installation exists.
    const { callTool } = await import('./helpers.js');
    expect((await callTool(apiToken, 'list_installed_integrations', {})).json.installations).toEqual([]);
    const challenge = res.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/error="insufficient_scope"/);
    expect(challenge).toMatch(/scope="mcp:read mcp:write"/);
    expect(challenge).toMatch(/resource_metadata=/);
    const exec = await mcpWith(
      tokens.access_token!,
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'some_integration_tool', arguments: {} } },
      sessionId,
    );
    expect(exec.headers.get('www-authenticate')).toMatch(/scope="mcp:read mcp:execute"/);
    // Both refusals are in the run history, as the OAuth client's, with the credentials they carried redacted.
    let items: { tool: string; status: string; reason: string; who: { type: string }; id: string }[] = [];
    for (let i = 0; i < 100 && items.length < 2; i++) {
      items = (await callTool(apiToken, 'search_run_history', { status: 'refused' })).json.items;
      if (items.length < 2) await new Promise((r) => setTimeout(r, 20));
    }
    expect(items.map((i) => [i.tool, i.reason, i.who.type])).toEqual([
      ['some_integration_tool', 'insufficient_scope', 'oauth_client'],
      ['install_integration', 'insufficient_scope', 'oauth_client'],
    ]);
    const refused = await callTool(apiToken, 'get_run_history_item', { id: items[1]!.id });
    expect(refused.json.detail.arguments.credentials).toBe('[redacted]');
  });

  it('keeps role limits whatever the scopes: a MEMBER with mcp:admin cannot change MCP settings', async () => {
    const { user } = await seedTenant('oauth-role', 'MEMBER');
    await setPassword(user.id);
    const { tokens } = await authorize(user.email, { scope: 'mcp:read mcp:admin', scopes: ['mcp:read', 'mcp:admin'] });
    const init = await mcpWith(tokens.access_token!, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'o', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    const list = (await (
      await mcpWith(tokens.access_token!, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, sessionId)
    ).json()) as { result: { tools: { name: string }[] } };
    expect(list.result.tools.map((t) => t.name)).not.toContain('update_mcp_settings');
    const res = await mcpWith(
      tokens.access_token!,
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'update_mcp_settings', arguments: { instructions: 'x' } },
      },
      sessionId,
    );
    const body = (await res.json()) as { result: { isError: boolean; content: { text: string }[] } };
    expect(body.result.isError).toBe(true);
    expect(body.result.content[0]!.text).toMatch(/requires the ADMIN role/);
  });
});

describe('an OAuth client with mcp:admin', () => {
  it('may publish a template change that redirects credentials, review it, but not approve it', async () => {
    const { user, token: apiToken } = await seedTenant('oauth-approve', 'ADMIN');
    await setPassword(user.id);
    await callTool(apiToken, 'create_integration', { template: crm() });
    await callTool(apiToken, 'install_integration', {
      template: 'acme-crm',
      credentials: { api_key: 'k' },
      settings: { base_url: 'https://crm.acme.test' },
    });
    const { tokens } = await authorize(user.email, { scope: 'mcp:read mcp:admin', scopes: ['mcp:read', 'mcp:admin'] });
    const init = await mcpWith(tokens.access_token!, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'agent', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    const asClient = async (id: number, name: string, args: Record<string, unknown>) =>
      (
        (await (
          await mcpWith(
            tokens.access_token!,
            { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } },
            sessionId,
          )
        ).json()) as { result: { isError?: boolean; content: { text: string }[] } }
      ).result;
    const updated = await asClient(2, 'update_integration', {
      slug: 'acme-crm',
      template: { ...crm(), baseUrl: 'https://crm.attacker.test' },
    });
    expect(updated.isError, updated.content[0]!.text).toBeFalsy();
    expect(JSON.parse(updated.content[0]!.text).installations_awaiting_approval).toHaveLength(1);
    const review = await asClient(3, 'approve_integration_update', { integration: 'acme-crm' });
    expect(review.isError).toBeFalsy();
    const approve = await asClient(4, 'approve_integration_update', { integration: 'acme-crm', version: 2 });
    expect(approve).toMatchObject({ isError: true });
    expect(approve.content[0]!.text).toMatch(/needs your own API token, not an OAuth client/);
    // The person approves with their own API token.
    expect(
      (await callTool(apiToken, 'approve_integration_update', { integration: 'acme-crm', version: 2 })).isError,
    ).toBe(false);
  });
});

describe('what bad input gets', () => {
  it('refuses a reused authorization code with invalid_grant and revokes the tokens it produced', async () => {
    const { user } = await seedTenant('oauth-code-reuse');
    await setPassword(user.id);
    const { tokens, code, verifier, client } = await authorize(user.email);
    const again = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:33418/callback',
      client_id: client.client_id,
      code_verifier: verifier,
    });
    expect(again.body.error).toBe('invalid_grant');
    const res = await mcpWith(tokens.access_token!, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'o', version: '1' } },
    });
    expect(res.status).toBe(401);
  });

  it('keeps the code usable by the rightful client after a wrong redirect_uri or verifier', async () => {
    const { user } = await seedTenant('oauth-wrong-redirect');
    await setPassword(user.id);
    const { body: client } = await register();
    const { verifier, challenge } = await pkce();
    const flow = await signInAndApprove(authorizeUrl({ clientId: client.client_id, challenge }), user.email);
    const code = new URL(flow.location!).searchParams.get('code')!;
    const wrongRedirect = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:9999/elsewhere',
      client_id: client.client_id,
      code_verifier: verifier,
    });
    expect(wrongRedirect.body.error).toBe('invalid_grant');
    const right = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:33418/callback',
      client_id: client.client_id,
      code_verifier: verifier,
    });
    expect(right.res.status).toBe(200);
    expect(right.body.access_token).toBeTruthy();
  });

  it.each([
    ['plain PKCE', { method: 'plain' }],
    ['a missing code_challenge_method', { method: null }],
  ])('refuses %s at /authorize', async (_label, opts) => {
    const { body: client } = await register();
    const res = await SELF.fetch(
      authorizeUrl({ clientId: client.client_id, challenge: 'abc'.repeat(15), ...(opts as { method: string | null }) }),
      { redirect: 'manual' },
    );
    // Either an error redirect to the (validated) client, or a local error page: never a sign-in page.
    if (res.status === 302) expect(res.headers.get('location')).toMatch(/error=invalid_request/);
    else expect(res.status).toBe(400);
  });

  it('refuses an authorization request without a code_challenge (PKCE is required)', async () => {
    const { body: client } = await register();
    const url = new URL(authorizeUrl({ clientId: client.client_id, challenge: 'x', method: null }));
    url.searchParams.delete('code_challenge');
    const res = await SELF.fetch(url, { redirect: 'manual' });
    if (res.status === 302) expect(res.headers.get('location')).toMatch(/error=invalid_request/);
    else expect(res.status).toBe(400);
  });

  it('refuses a wrong client secret and keeps the code usable by the rightful confidential client', async () => {
    const { user } = await seedTenant('oauth-secret');
    await setPassword(user.id);
    const { res, body: client } = await register(['http://127.0.0.1:33418/callback'], {
      token_endpoint_auth_method: 'client_secret_basic',
    });
    expect(res.status).toBe(201);
    expect(client.client_secret).toBeTruthy();
    const { verifier, challenge } = await pkce();
    const flow = await signInAndApprove(authorizeUrl({ clientId: client.client_id, challenge }), user.email);
    const code = new URL(flow.location!).searchParams.get('code')!;
    const exchange = (secret: string) =>
      SELF.fetch(`${ORIGIN}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${btoa(`${client.client_id}:${secret}`)}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: 'http://127.0.0.1:33418/callback',
          code_verifier: verifier,
        }),
      });
    const wrong = await exchange('not-the-secret');
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
    const right = await exchange(client.client_secret!);
    expect(right.status).toBe(200);
  });

  it('refuses a code exchange with a verifier but no challenge bound, and one with the wrong verifier', async () => {
    const { user } = await seedTenant('oauth-pkce');
    await setPassword(user.id);
    const { body: client } = await register();
    const { challenge } = await pkce();
    const flow = await signInAndApprove(authorizeUrl({ clientId: client.client_id, challenge }), user.email);
    const code = new URL(flow.location!).searchParams.get('code')!;
    const wrong = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:33418/callback',
      client_id: client.client_id,
      code_verifier: 'x'.repeat(43),
    });
    expect(wrong.body.error).toBe('invalid_grant');
    const missing = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'http://127.0.0.1:33418/callback',
      client_id: client.client_id,
    });
    expect(missing.body.error).toMatch(/invalid_(grant|request)/);
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'http://evil.example/callback',
  ])('refuses to register the redirect URI %j', async (uri) => {
    const { res } = await register([uri]);
    expect(res.status).toBe(400);
  });

  it('accepts loopback callbacks on any port and custom schemes such as cursor://', async () => {
    const { res, body } = await register(['http://127.0.0.1/callback', 'cursor://anysphere.cursor-mcp/oauth/callback']);
    expect(res.status).toBe(201);
    const { challenge } = await pkce();
    for (const redirectUri of ['http://127.0.0.1:54321/callback', 'cursor://anysphere.cursor-mcp/oauth/callback']) {
      const page = await SELF.fetch(authorizeUrl({ clientId: body.client_id, challenge, redirectUri }), {
        redirect: 'manual',
      });
      expect(page.status, redirectUri).toBe(200);
    }
    const other = await SELF.fetch(
      authorizeUrl({ clientId: body.client_id, challenge, redirectUri: 'http://127.0.0.1:54321/other' }),
      { redirect: 'manual' },
    );
    expect(other.status).toBe(400);
  });

  it('refuses a wrong password without redirecting, and a sign-in form from another site', async () => {
    const { user } = await seedTenant('oauth-password');
    await setPassword(user.id);
    const { body: client } = await register();
    const { challenge } = await pkce();
    const url = authorizeUrl({ clientId: client.client_id, challenge });
    const wrong = await signInAndApprove(url, user.email, { password: 'not the password at all' });
    expect(wrong.signIn.status).toBe(401);
    expect(wrong.signIn.headers.get('location')).toBeNull();
    const forged = await SELF.fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        step: 'signin',
        csrf: 'forged',
        email: user.email,
        password: 'correct horse battery staple',
      }),
    });
    expect(forged.status).toBe(403);
  });

  it('slows password guessing: 429 after 10 sign-in attempts a minute per e-mail and per client IP', async () => {
    const { user } = await seedTenant('oauth-guessing');
    await setPassword(user.id);
    const { body: client } = await register();
    const { challenge } = await pkce();
    const url = authorizeUrl({ clientId: client.client_id, challenge });
    for (let i = 0; i < 10; i++)
      expect((await signInAndApprove(url, user.email, { password: `guess ${i}` })).signIn.status).toBe(401);
    // The right password does not get through either while the e-mail is limited.
    const limited = (await signInAndApprove(url, user.email)).signIn;
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.text()).toMatch(/Too many sign-in attempts/);
    // Another account is not held up by it…
    const { user: other } = await seedTenant('oauth-guessing-other');
    await setPassword(other.id);
    expect((await signInAndApprove(url, other.email)).signIn.status).toBe(303);
    // …but one client IP spraying many accounts is.
    const ip = { 'cf-connecting-ip': '203.0.113.7' };
    for (let i = 0; i < 10; i++)
      expect((await signInAndApprove(url, `nobody-${i}@spray.test`, { headers: ip })).signIn.status).toBe(401);
    expect((await signInAndApprove(url, other.email, { headers: ip })).signIn.status).toBe(429);
  });

  it('cannot be used to keep a known account out: guesses from one IP do not limit its owner on another', async () => {
    const { user } = await seedTenant('oauth-lockout');
    await setPassword(user.id);
    const { body: client } = await register();
    const { challenge } = await pkce();
    const url = authorizeUrl({ clientId: client.client_id, challenge });
    const attacker = { 'cf-connecting-ip': '198.51.100.23' };
    for (let i = 0; i < 10; i++)
      expect(
        (await signInAndApprove(url, user.email, { password: `guess ${i}`, headers: attacker })).signIn.status,
      ).toBe(401);
    expect((await signInAndApprove(url, user.email, { headers: attacker })).signIn.status).toBe(429);
    const owner = { 'cf-connecting-ip': '192.0.2.44' };
    expect((await signInAndApprove(url, user.email, { headers: owner })).signIn.status).toBe(303);
  });

  it('lets a member of several organizations pick where the app acts, and only among their own', async () => {
    const home = await seedTenant('oauth-multi-home');
    await setPassword(home.user.id);
    const away = await seedTenant('oauth-multi-away');
    await upsertMember(db, { organizationId: away.org.id }, { email: home.user.email, role: 'MEMBER' });
    const stranger = await seedTenant('oauth-multi-stranger');

    // The consent page offers both organizations' workspaces, not the stranger's.
    const { body: client } = await register();
    const { challenge } = await pkce();
    const flow = await signInAndApprove(authorizeUrl({ clientId: client.client_id, challenge }), home.user.email, {
      workspace: away.ws.id,
    });
    expect(flow.consentHtml).toContain(`value="${home.ws.id}"`);
    expect(flow.consentHtml).toContain(`value="${away.ws.id}"`);
    expect(flow.consentHtml).not.toContain(stranger.ws.id);

    // Picking the second organization issues the grant there: the token acts in it, with the role held there.
    const { tokens } = await authorize(home.user.email, { workspace: away.ws.id });
    const init = await mcpWith(tokens.access_token!, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'multi', version: '1' } },
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    const call = (await (
      await mcpWith(
        tokens.access_token!,
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get_my_profile', arguments: {} } },
        sessionId,
      )
    ).json()) as { result: { content: { text: string }[] } };
    expect(JSON.parse(call.result.content[0]!.text)).toMatchObject({
      role: 'MEMBER',
      organization: { slug: away.org.slug },
    });

    // A forged pick (a workspace of an organization the user is not in) is refused; no code is issued.
    const forged = await signInAndApprove(authorizeUrl({ clientId: client.client_id, challenge }), home.user.email, {
      workspace: stranger.ws.id,
    });
    expect(forged.approve!.status).toBe(403);
    expect(forged.location).toBeNull();
  });

  it('answers a POST to /authorize that is not a form with 400, not a 500', async () => {
    const res = await SELF.fetch(`${ORIGIN}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"handle":"x"}',
    });
    expect(res.status).toBe(400);
  });

  it('limits dynamic client registration per client IP (429) and registers clients that expire unless used', async () => {
    const from = (ip: string) =>
      SELF.fetch(`${ORIGIN}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
        body: JSON.stringify({
          client_name: 'Flood',
          redirect_uris: ['http://127.0.0.1:9/cb'],
          token_endpoint_auth_method: 'none',
        }),
      });
    for (let i = 0; i < 20; i++) expect((await from('203.0.113.99')).status).toBe(201);
    const limited = await from('203.0.113.99');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect((await from('198.51.100.1')).status).toBe(201);
    // A confidential client learns when its registration lapses (RFC 7591 §3.2.1 client_secret_expires_at).
    const confidential = await register(['http://127.0.0.1:9/cb'], {
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const expiresAt = (confidential.body as { client_secret_expires_at?: number }).client_secret_expires_at!;
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeGreaterThan(29 * 24 * 3600);
    expect(expiresAt - Math.floor(Date.now() / 1000)).toBeLessThanOrEqual(30 * 24 * 3600);
  });

  it('refuses an oversized /authorize form with 413 before reading it all (the endpoint is unauthenticated)', async () => {
    const huge = new URLSearchParams({ step: 'signin', email: 'a@b.c', password: 'x'.repeat(64 * 1024) });
    const res = await SELF.fetch(`${ORIGIN}/authorize`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: huge.toString(),
    });
    expect(res.status).toBe(413);
  });

  it('serves the authorization pages unframeable and escapes what the client registered', async () => {
    const { body: client } = await register(['http://127.0.0.1:33418/callback'], {
      client_name: '<img src=x onerror=alert(1)>',
    });
    const { challenge } = await pkce();
    const page = await SELF.fetch(authorizeUrl({ clientId: client.client_id, challenge }));
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const html = await page.text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&#60;img src=x');
    expect(html).toContain('127.0.0.1');
  });

  it('refuses tokens in the query string, expired or unknown tokens, and revoked tokens', async () => {
    const { user } = await seedTenant('oauth-revoke');
    await setPassword(user.id);
    const { tokens, client } = await authorize(user.email);
    const query = await SELF.fetch(`${ORIGIN}/mcp?access_token=${tokens.access_token}`, { method: 'POST', body: '{}' });
    expect(query.status).toBe(400);
    const revoke = await SELF.fetch(`${ORIGIN}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokens.access_token!, client_id: client.client_id }),
    });
    expect(revoke.status).toBe(200);
    const unknown = await mcpWith('not-a-token-we-issued', { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toMatch(/invalid_token/);
    const res = await mcpWith(tokens.access_token!, {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'o', version: '1' } },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });

  it('refuses an expired access token with 401 invalid_token', async () => {
    const { user } = await seedTenant('oauth-expired');
    await setPassword(user.id);
    const { tokens } = await authorize(user.email);
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'o', version: '1' } },
    };
    expect((await mcpWith(tokens.access_token!, init)).status).toBe(200);
    // The worker runs in this isolate: moving the clock past the one-hour lifetime expires the token for it too.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 2 * 60 * 60 * 1000);
      const res = await mcpWith(tokens.access_token!, init);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/invalid_token/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuses an authorization request for another resource (RFC 8707)', async () => {
    const { body: client } = await register();
    const { challenge } = await pkce();
    const url = new URL(authorizeUrl({ clientId: client.client_id, challenge }));
    url.searchParams.set('resource', 'https://other.example/mcp');
    const res = await SELF.fetch(url, { redirect: 'manual' });
    expect(res.status === 302 ? res.headers.get('location') : String(res.status)).toMatch(/invalid_target|400/);
  });

  it('still accepts API tokens with every scope', async () => {
    const { token: apiToken } = await seedTenant('oauth-api-token', 'ADMIN');
    const { sessionId } = await initialize(apiToken);
    const list = (await (
      await mcpWith(apiToken, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, sessionId)
    ).json()) as { result: { tools: { name: string }[] } };
    expect(list.result.tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['install_integration', 'create_integration', 'update_mcp_settings']),
    );
  });
});
