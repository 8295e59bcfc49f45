/**
 * Search mode end to end (issue 19 §1): with the workspace's tool_discovery set to `search`, a 2025-era client (SDK
 * v1, sessionful) and a 2026-07-28 client (SDK v2, stateless) both see search_tools and call_tool instead of the
 * integration tools, find a template tool with search_tools and run it with call_tool against a real upstream.
 * The workspace goes back to `auto` afterwards (the end-to-end files share it and run one at a time).
 */
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sendJson, startHttpFake, type HttpFake } from '../src/http-fake.js';

const mcpUrl = inject('mcpUrl');
const headers = { Authorization: `Bearer ${inject('adminToken')}` };
const slug = 'uptime-search';

interface Caller {
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(req: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

const text = (result: unknown) => (result as { content: { text: string }[] }).content[0]!.text;
const ok = (result: unknown) => {
  expect((result as { isError?: boolean }).isError, text(result)).toBeFalsy();
  return JSON.parse(text(result));
};

async function legacyClient(): Promise<Caller> {
  const client = new Client({ name: 'gatehouse-e2e-search-v1', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers } }));
  return client as unknown as Caller;
}

async function modernClient(): Promise<Caller> {
  const client = new ModernClient(
    { name: 'gatehouse-e2e-search-v2', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new ModernTransport(new URL(mcpUrl), { requestInit: { headers } }));
  return client as unknown as Caller;
}

describe('search mode through real clients', () => {
  let upstream: HttpFake;
  let admin: Caller;
  let handle: string;

  beforeAll(async () => {
    upstream = await startHttpFake((req, _raw, res) =>
      req.url === '/uptime' ? sendJson(res, 200, { uptime: '99.99%' }) : sendJson(res, 404, {}),
    );
    admin = await legacyClient();
    ok(
      await admin.callTool({
        name: 'create_integration',
        arguments: {
          template: {
            slug,
            name: 'Uptime monitor',
            description: 'Uptime of the public site',
            docsUrl: 'https://docs.example.com/uptime',
            baseUrl: '{+settings.base_url}',
            auth: { type: 'none' },
            credentials: [],
            settings: [{ name: 'base_url', description: 'origin' }],
            tools: [
              {
                name: 'get_site_uptime',
                title: 'Get site uptime',
                description: 'Availability of the public website over the last 30 days',
                docsUrl: 'https://docs.example.com/uptime#get',
                method: 'GET',
                path: '/uptime',
                inputSchema: { type: 'object', properties: {} },
              },
            ],
          },
        },
      }),
    );
    const installed = ok(
      await admin.callTool({
        name: 'install_integration',
        arguments: { template: slug, credentials: {}, settings: { base_url: upstream.url } },
      }),
    );
    handle = installed.installed.handle;
    expect(
      ok(await admin.callTool({ name: 'update_mcp_settings', arguments: { tool_discovery: 'search' } })),
    ).toMatchObject({ tool_discovery: 'search' });
  });

  afterAll(async () => {
    await admin?.callTool({ name: 'update_mcp_settings', arguments: { tool_discovery: 'auto' } });
    await admin?.callTool({ name: 'uninstall_integration', arguments: { integration: handle } });
    await admin?.callTool({ name: 'delete_integration', arguments: { slug } });
    await admin?.close();
    await upstream?.close();
  });

  it.each([
    ['a 2025-11-25 client (SDK v1, with a session)', legacyClient],
    ['a 2026-07-28 client (SDK v2, stateless)', modernClient],
  ])('%s lists the discovery tools, finds the tool and runs it with call_tool', async (_label, connect) => {
    const client = await connect();
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['search_tools', 'call_tool', 'get_my_profile']));
      expect(names).not.toContain('get_site_uptime');
      const found = ok(await client.callTool({ name: 'search_tools', arguments: { query: 'website availability' } }));
      expect(found.tools[0]).toMatchObject({ name: 'get_site_uptime', inputSchema: { type: 'object' } });
      const ran = ok(await client.callTool({ name: 'call_tool', arguments: { name: 'get_site_uptime' } }));
      expect(ran).toEqual({ uptime: '99.99%' });
    } finally {
      await client.close();
    }
  });
});
