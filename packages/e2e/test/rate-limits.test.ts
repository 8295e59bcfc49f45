/**
 * Rate limits across processes (issue 19 §3): the main worker and its replica, two workerd processes on one D1,
 * share one count: calls on either side use the same burst, and the refused call reaches nothing upstream. The
 * workspace's limit is removed afterwards (the end-to-end files share it and run one at a time).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sendJson, startHttpFake, type HttpFake } from '../src/http-fake.js';

const headers = { Authorization: `Bearer ${inject('adminToken')}` };
const slug = 'quota-limits';

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'gatehouse-e2e-limits', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

type Result = { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> };

describe('rate limits across two worker processes', () => {
  let upstream: HttpFake;
  let calls = 0;
  let primary: Client;
  let replica: Client;
  let handle: string;

  beforeAll(async () => {
    upstream = await startHttpFake((req, _raw, res) => {
      calls++;
      return req.url === '/quota' ? sendJson(res, 200, { remaining: 7 }) : sendJson(res, 404, {});
    });
    primary = await connect(inject('mcpUrl'));
    replica = await connect(inject('mcpReplicaUrl'));
    const created = (await primary.callTool({
      name: 'create_integration',
      arguments: {
        template: {
          slug,
          name: 'Quota service',
          description: 'Remaining quota',
          docsUrl: 'https://docs.example.com/quota',
          baseUrl: '{+settings.base_url}',
          auth: { type: 'none' },
          credentials: [],
          settings: [{ name: 'base_url', description: 'origin' }],
          tools: [
            {
              name: 'get_remaining_quota',
              title: 'Get remaining quota',
              description: 'How much quota is left',
              docsUrl: 'https://docs.example.com/quota#get',
              method: 'GET',
              path: '/quota',
              inputSchema: { type: 'object', properties: {} },
              readOnly: true,
            },
          ],
        },
      },
    })) as Result;
    expect(created.isError, created.content[0]!.text).toBeFalsy();
    const installed = (await primary.callTool({
      name: 'install_integration',
      arguments: { template: slug, credentials: {}, settings: { base_url: upstream.url } },
    })) as Result;
    expect(installed.isError, installed.content[0]!.text).toBeFalsy();
    handle = JSON.parse(installed.content[0]!.text).installed.handle;
    const limited = (await primary.callTool({
      name: 'set_integration_rate_limit',
      arguments: { integration: handle, rate_limit: { requests_per_minute: 3, burst: 3 } },
    })) as Result;
    expect(limited.isError, limited.content[0]!.text).toBeFalsy();
  });

  afterAll(async () => {
    await primary?.callTool({ name: 'uninstall_integration', arguments: { integration: handle } });
    await primary?.callTool({ name: 'delete_integration', arguments: { slug } });
    await primary?.close();
    await replica?.close();
    await upstream?.close();
  });

  it('shares one burst between the processes and refuses the next call on either', async () => {
    const call = (client: Client) => client.callTool({ name: 'get_remaining_quota', arguments: {} }) as Promise<Result>;
    const first = [await call(primary), await call(replica), await call(primary)];
    expect(first.map((r) => r.isError ?? false)).toEqual([false, false, false]);
    const refused = await call(replica);
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(/Rate limit reached for get_remaining_quota/);
    expect(refused.structuredContent).toMatchObject({ error: { code: -32029 } });
    expect((await call(primary)).isError).toBe(true);
    expect(calls).toBe(3);
  });
});
