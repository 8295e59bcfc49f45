/**
 * End to end with the SDK v2 client (@modelcontextprotocol/client) against the running main worker, pinned to MCP
 * 2026-07-28 and in `auto` mode: it probes `server/discover`, lists tools, calls a core tool and a catalog template
 * tool with no session, and receives notifications/tools/list_changed through `subscriptions/listen` when another
 * connection installs an integration (the listen stream is held by the organization's Durable Object).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sendJson, startHttpFake, type HttpFake } from '../src/http-fake.js';

const mcpUrl = inject('mcpUrl');
const token = inject('adminToken');

type Mode = 'auto' | { pin: string };

async function connect(mode: Mode): Promise<Client> {
  const client = new Client({ name: 'gatehouse-e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const text = (result: Awaited<ReturnType<Client['callTool']>>) =>
  (result.content as { type: string; text: string }[])[0]!.text;

/** A template of its own (no credentials), so each test leaves the shared catalog as it found it. */
const statusTemplate = (slug: string, baseUrl: string) => ({
  slug,
  name: `Status ${slug}`,
  description: 'Public status page',
  docsUrl: 'https://docs.example.com/status',
  baseUrl: '{+settings.base_url}',
  auth: { type: 'none' },
  credentials: [],
  settings: [{ name: 'base_url', description: 'origin' }],
  tools: [
    {
      name: `get_${slug.replace(/-/g, '_')}`,
      title: 'Get status',
      description: 'Current status',
      docsUrl: 'https://docs.example.com/status#get',
      method: 'GET',
      path: '/status',
      inputSchema: { type: 'object', properties: {} },
    },
  ],
  _baseUrl: baseUrl,
});

describe.each<[string, Mode]>([
  ['pinned to 2026-07-28', { pin: '2026-07-28' }],
  ['in auto mode', 'auto'],
])('SDK v2 client %s', (label, mode) => {
  let client: Client;
  let upstream: HttpFake;
  const slug = label.startsWith('pinned') ? 'status-pinned' : 'status-auto';
  const tool = `get_${slug.replace(/-/g, '_')}`;

  beforeAll(async () => {
    upstream = await startHttpFake((req, _raw, res) =>
      req.url === '/status' ? sendJson(res, 200, { status: 'operational' }) : sendJson(res, 404, {}),
    );
    client = await connect(mode);
  });

  afterAll(async () => {
    await client?.close();
    await upstream?.close();
  });

  it('speaks 2026-07-28 without a session and lists the core tools', async () => {
    expect(client.getProtocolEra()).toBe('modern');
    expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining(['get_my_profile', 'install_integration', 'search_knowledge']),
    );
    const profile = await client.callTool({ name: 'get_my_profile', arguments: {} });
    expect(profile.isError).toBeFalsy();
    expect(JSON.parse(text(profile))).toMatchObject({ user: { email: inject('adminEmail') } });
  });

  it('receives tools/list_changed on subscriptions/listen after an install, then calls the new template tool', async () => {
    let notified = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      notified++;
    });
    const notification = async (n: number) => {
      for (let waited = 0; notified < n && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
      return notified >= n ? 'notified' : 'timed out';
    };
    const subscription = await client.listen({ toolsListChanged: true });
    expect(subscription.honoredFilter).toEqual({ toolsListChanged: true });

    // Another connection (its own requests, possibly another isolate) makes the change.
    const actor = await connect({ pin: '2026-07-28' });
    const { _baseUrl, ...template } = statusTemplate(slug, upstream.url);
    const created = await actor.callTool({ name: 'create_integration', arguments: { template } });
    expect(created.isError, text(created)).toBeFalsy();
    const installed = await actor.callTool({
      name: 'install_integration',
      arguments: { template: slug, credentials: {}, settings: { base_url: _baseUrl } },
    });
    expect(installed.isError, text(installed)).toBeFalsy();
    expect(await notification(1)).toBe('notified');

    expect((await client.listTools()).tools.map((t) => t.name)).toContain(tool);
    const status = await client.callTool({ name: tool, arguments: {} });
    expect(status.isError, text(status)).toBeFalsy();
    expect(JSON.parse(text(status))).toMatchObject({ status: 'operational' });

    // The client keeps a listed result for its ttlMs; the notification is what tells it to list again.
    const before = notified;
    const { handle } = (JSON.parse(text(installed)) as { installed: { handle: string } }).installed;
    const uninstalled = await actor.callTool({ name: 'uninstall_integration', arguments: { integration: handle } });
    expect(uninstalled.isError, text(uninstalled)).toBeFalsy();
    const deleted = await actor.callTool({ name: 'delete_integration', arguments: { slug } });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(await notification(before + 1), String(notified)).toBe('notified');
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain(tool);
    await subscription.close();
    await actor.close();
  });
});

describe('SDK v2 client without a valid token', () => {
  it('is refused with 401 before any protocol work, in both modes', async () => {
    for (const mode of [{ pin: '2026-07-28' }, 'auto'] as Mode[]) {
      const client = new Client({ name: 'gatehouse-e2e-v2', version: '1.0.0' }, { versionNegotiation: { mode } });
      const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { Authorization: `Bearer gth_${'A'.repeat(43)}` } },
      });
      await expect(client.connect(transport)).rejects.toThrow(/401|authoriz/i);
    }
  });
});
