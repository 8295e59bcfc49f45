/**
 * MCP sessions end to end: a session issued by one main-worker process is valid on a second, separate process on the
 * same D1 (as on another isolate or after a restart); the first-call context comes once per session across both;
 * DELETE on one ends it on the other; and the SDK client receives notifications/tools/list_changed on its GET stream.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, inject, it } from 'vitest';

const token = inject('adminToken');

async function connect(url: string) {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name: 'gatehouse-e2e-sessions', version: '1.0.0' });
  await client.connect(transport);
  return { client, transport };
}

async function rawCall(url: string, sessionId: string, message: unknown) {
  return fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    },
    body: JSON.stringify(message),
  });
}

const call = (id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'get_my_profile', arguments: {} },
});

describe('MCP sessions across processes', () => {
  it('a session from one process works on another; context comes once; DELETE ends it everywhere', async () => {
    const { client, transport } = await connect(inject('mcpUrl'));
    const sessionId = transport.sessionId!;
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const onReplica = await rawCall(inject('mcpReplicaUrl'), sessionId, call(1));
    expect(onReplica.status).toBe(200);
    const first = (await onReplica.json()) as { result: { content: { text: string }[] } };
    expect(first.result.content).toHaveLength(2);
    expect(JSON.parse(first.result.content[1]!.text)).toHaveProperty('get_workspace_info');

    const onPrimary = await client.callTool({ name: 'get_my_profile', arguments: {} });
    expect(onPrimary.content).toHaveLength(1);

    const del = await fetch(inject('mcpReplicaUrl'), {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId },
    });
    expect(del.status).toBe(204);
    expect((await rawCall(inject('mcpUrl'), sessionId, call(2))).status).toBe(404);
    await client.close();
  });

  it('the SDK client receives tools/list_changed on its GET stream when an installation is added', async () => {
    const listener = await connect(inject('mcpUrl'));
    const changed = new Promise<void>((resolve) =>
      listener.client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()),
    );
    // Give the client time to open its GET stream after initialization.
    await new Promise((r) => setTimeout(r, 500));
    const actor = await connect(inject('mcpUrl'));
    // A template of its own (no credentials check), so this test leaves the shared catalog's tools as it found them.
    const created = await actor.client.callTool({
      name: 'create_integration',
      arguments: {
        template: {
          slug: 'status-page',
          name: 'Status page',
          description: 'Public status page',
          docsUrl: 'https://docs.example.com/status',
          baseUrl: '{+settings.base_url}',
          auth: { type: 'none' },
          credentials: [],
          settings: [{ name: 'base_url', description: 'origin' }],
          tools: [
            {
              name: 'get_status',
              title: 'Get status',
              description: 'Current status',
              docsUrl: 'https://docs.example.com/status#get',
              method: 'GET',
              path: '/status',
              inputSchema: { type: 'object', properties: {} },
            },
          ],
        },
      },
    });
    expect(created.isError).toBeFalsy();
    const installed = await actor.client.callTool({
      name: 'install_integration',
      arguments: { template: 'status-page', credentials: {}, settings: { base_url: 'https://status.example.com' } },
    });
    expect(installed.isError).toBeFalsy();
    await expect(
      Promise.race([changed.then(() => 'notified'), new Promise((r) => setTimeout(() => r('timed out'), 10_000))]),
    ).resolves.toBe('notified');
    const { tools } = await listener.client.listTools();
    expect(tools.map((t) => t.name)).toContain('get_status');
    await actor.client.callTool({ name: 'uninstall_integration', arguments: { integration: 'status-page' } });
    await actor.client.callTool({ name: 'delete_integration', arguments: { slug: 'status-page' } });
    expect((await listener.client.listTools()).tools.map((t) => t.name)).not.toContain('get_status');
    await listener.client.close();
    await actor.client.close();
  });
});
