/**
 * End to end: a real GitHub payload from @octokit/webhooks-examples, signed at test time with
 * @octokit/webhooks-methods, delivered to the running integrations worker, dispatched over the service binding to
 * the running main worker, and read back through MCP. A forged signature changes nothing.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const SECRET = 'e2e-github-webhook-secret';
const integrationsUrl = inject('integrationsUrl');

function example(name: string, action: string): Record<string, any> {
  const def = (examples as unknown as { name: string; examples: Record<string, any>[] }[]).find(
    (d) => d.name === name,
  )!;
  return def.examples.find((e) => e.action === action)!;
}

describe('GitHub webhook → agent session', () => {
  let client: Client;
  let webhookUrl: string;

  async function sessions(): Promise<{ id: string; thread: string }[]> {
    const r = await client.callTool({ name: 'list_sessions', arguments: {} });
    return JSON.parse((r.content as { text: string }[])[0]!.text).sessions;
  }
  async function events(sessionId: string): Promise<unknown[]> {
    const r = await client.callTool({ name: 'get_session', arguments: { session_id: sessionId } });
    return JSON.parse((r.content as { text: string }[])[0]!.text).events;
  }
  async function deliver(payload: string, delivery: string, signature: string) {
    return fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'issue_comment',
        'x-github-delivery': delivery,
        'x-hub-signature-256': signature,
      },
      body: payload,
    });
  }
  /** Waits (bounded) for the waitUntil dispatch to reach the main worker. */
  async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
    for (let i = 0; i < 100; i++) {
      const v = await read();
      if (done(v)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    return read();
  }

  beforeAll(async () => {
    client = new Client({ name: 'gatehouse-e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(inject('mcpUrl')), {
        requestInit: { headers: { Authorization: `Bearer ${inject('adminToken')}` } },
      }),
    );
    const res = await fetch(`${integrationsUrl}/install/github`, {
      method: 'POST',
      headers: { authorization: `Bearer ${inject('adminToken')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credentials: { webhook_secret: SECRET } }),
    });
    expect(res.status).toBe(201);
    webhookUrl = ((await res.json()) as { webhook_url: string }).webhook_url;
  });

  afterAll(async () => {
    await client?.close();
  });

  it('a signed issue_comment delivery produces exactly one session event, and a redelivery adds none', async () => {
    const payload = example('issue_comment', 'created');
    const raw = JSON.stringify(payload);
    const thread = `${payload.repository.full_name}#${payload.issue.number}`;

    const res = await deliver(raw, 'e2e-delivery-1', await sign(SECRET, raw));
    expect(res.status).toBe(202);
    const found = await eventually(sessions, (s) => s.some((x) => x.thread === thread));
    const session = found.find((x) => x.thread === thread);
    expect(session).toBeDefined();
    expect(await events(session!.id)).toMatchObject([
      { source: 'github', event: 'issue_comment.created', actor: payload.sender.login },
    ]);

    const again = await deliver(raw, 'e2e-delivery-1', await sign(SECRET, raw));
    expect(again.status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await events(session!.id)).toHaveLength(1);
  });

  it('a forged signature gets 401 and changes nothing', async () => {
    const payload = example('issue_comment', 'created');
    payload.issue.number = 987_654;
    const raw = JSON.stringify(payload);
    const before = await sessions();
    const res = await deliver(raw, 'e2e-delivery-forged', await sign('not-the-secret', raw));
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(await sessions()).toEqual(before);
  });
});
