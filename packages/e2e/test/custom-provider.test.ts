/**
 * The custom provider end to end: a catalog template (Jira Cloud, against the local Jira fake) installed through the
 * MCP SDK client with "webhooks": true and the service's signing secret → an event signed per Standard Webhooks →
 * an agent session on the thread → the template's own tool, served through the same provider contract, reaching the
 * fake; an event signed with another secret is refused and starts nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startJiraFake, type JiraFake } from '../src/jira-fake.js';
import { connectAdminClient, resultText as text, waitForSession } from '../src/provider-session.js';

const CREDS = { email: 'desk-bot@acme.test', api_token: 'desk-token' };
/** The service's signing secret (Standard Webhooks: whsec_ + base64 of the key). */
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('custom provider: template install with webhooks → event → session → template tool', () => {
  let fake: JiraFake;
  let client: Client;
  let handle: string | undefined;

  beforeAll(async () => {
    fake = await startJiraFake({ email: CREDS.email, apiToken: CREDS.api_token, site: 'https://desk.atlassian.net' });
    client = await connectAdminClient('gatehouse-e2e-custom');
  });
  afterAll(async () => {
    // The stack is shared: leave the organization's Jira tools as the other files expect them.
    if (handle) await client.callTool({ name: 'uninstall_integration', arguments: { integration: handle } });
    await client?.close();
    await fake?.close();
  });

  it('starts a session from a signed event and calls the template’s tool for it', async () => {
    const installed = await client.callTool({
      name: 'install_integration',
      arguments: {
        template: 'jira-cloud',
        title: 'Service Desk',
        scope: 'Global',
        credentials: { ...CREDS, webhook_secret: WEBHOOK_SECRET },
        settings: { site_url: fake.url, project_key: 'SD' },
        webhooks: true,
      },
    });
    expect(installed.isError, text(installed)).toBeFalsy();
    expect(text(installed)).not.toContain(WEBHOOK_SECRET);
    const answer = JSON.parse(text(installed)) as { installed: { handle: string }; webhook: { path: string } };
    handle = answer.installed.handle;
    const webhookUrl = `${inject('integrationsUrl')}${answer.webhook.path}`;

    const send = (secret: string, id: string, body: unknown) => {
      const raw = JSON.stringify(body);
      const at = new Date();
      return fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(secret).sign(id, at, raw),
        },
        body: raw,
      });
    };
    const event = {
      type: 'ticket.escalated',
      thread: { key: 'DESK-7', title: 'VPN down in Lyon' },
      actor: 'ada',
      summary: 'Escalated to engineering',
      data: { priority: 'P1' },
    };
    const forged = await send(
      `whsec_${Buffer.from('not-the-secret-not-the-secret-32').toString('base64')}`,
      'msg_forged',
      event,
    );
    expect(forged.status).toBe(401);
    expect((await send(WEBHOOK_SECRET, `msg_${crypto.randomUUID()}`, event)).status).toBe(202);

    const installationId = answer.webhook.path.split('/').at(-1)!;
    const session = await waitForSession(client, `${installationId}/DESK-7`);
    expect(session).toBeDefined();
    const detail = JSON.parse(
      text(await client.callTool({ name: 'get_session', arguments: { session_id: session!.id } })),
    );
    expect(detail).toMatchObject({
      title: 'VPN down in Lyon',
      events: [
        {
          source: 'custom',
          event: 'ticket.escalated',
          actor: 'ada',
          summary: 'Escalated to engineering',
          data: { priority: 'P1' },
        },
      ],
    });

    const before = fake.requests.length;
    const created = await client.callTool({
      name: 'create_issue',
      arguments: { summary: 'Follow-up: VPN in Lyon', issue_type: 'Task', _integration: answer.installed.handle },
    });
    expect(created.isError, text(created)).toBeFalsy();
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /rest/api/3/issue']);
    expect(fake.requests.at(-1)).toMatchObject({
      authorization: `Basic ${Buffer.from(`${CREDS.email}:${CREDS.api_token}`).toString('base64')}`,
      body: { fields: { project: { key: 'SD' }, summary: 'Follow-up: VPN in Lyon' } },
    });
  });
});
