/**
 * OAuth end to end with the MCP SDK's client and its OAuthClientProvider, headless: from the MCP URL alone, the
 * 401 → protected resource metadata → authorization server metadata → dynamic registration → /authorize (sign-in and
 * consent by the stand-in browser) → token with PKCE → tools/list → refresh with rotation.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, inject, it } from 'vitest';
import { approveInBrowser } from '../src/browser-agent.mjs';
import { MemoryOAuthProvider } from '../src/memory-oauth-provider.js';

const mcpUrl = new URL(inject('mcpUrl'));

describe('OAuth with the MCP SDK client', () => {
  it('discovers, registers, authorizes with sign-in and consent, lists tools and refreshes', async () => {
    const provider = new MemoryOAuthProvider('http://127.0.0.1:45871/callback');
    const first = new Client({ name: 'gatehouse-e2e-oauth', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);

    const authorizationUrl = provider.authorizationUrl!;
    expect(authorizationUrl.origin + authorizationUrl.pathname).toBe(`${mcpUrl.origin}/authorize`);
    expect(authorizationUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizationUrl.searchParams.get('resource')).toBe(mcpUrl.href);

    const location = new URL(
      await approveInBrowser(authorizationUrl.href, inject('adminEmail'), inject('adminPassword')),
    );
    expect(location.origin + location.pathname).toBe('http://127.0.0.1:45871/callback');
    await transport.finishAuth(location.searchParams.get('code')!);
    expect(provider.tokens()?.refresh_token).toBeTruthy();

    const client = new Client({ name: 'gatehouse-e2e-oauth', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('get_my_profile');
    const profile = await client.callTool({ name: 'get_my_profile', arguments: {} });
    expect(JSON.parse((profile.content as { text: string }[])[0]!.text)).toMatchObject({
      user: { email: inject('adminEmail') },
    });

    // The access token goes bad: the SDK refreshes with the refresh token, which rotates, and carries on.
    const before = provider.tokens()!.refresh_token;
    provider.spoilAccessToken();
    const again = new Client({ name: 'gatehouse-e2e-oauth', version: '1.0.0' });
    await again.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    expect((await again.listTools()).tools.length).toBeGreaterThan(0);
    expect(provider.tokens()!.refresh_token).not.toBe(before);
    await Promise.all([client.close(), again.close()]);
  });
});
