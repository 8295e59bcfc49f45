/**
 * Slack end to end: an OAuth v2 install against a local Slack fake (`oauth.v2.access` answering a bot token and the
 * bot user id) → a signed `app_mention` → an agent session on the thread → through the MCP SDK client, a reply in that
 * thread reaching the fake's `chat.postMessage` with the bot token; a reply in another thread and a new top-level
 * message, which the session's publication does not cover, refused before anything is sent.
 */
import { createHmac } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { slackAppMention } from '@gatehouse/integrations/fixtures/slack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_MODEL_API_KEY } from '@gatehouse/model-fake';
import { startModelFake, type ModelFakeServer } from '@gatehouse/model-fake/node';
import { startSlackFake, type SlackFake } from '../src/slack-fake.js';
import {
  connectAdminClient,
  createSessionAgent,
  installProvider,
  resultText as text,
  waitForAgentReply,
  waitForSession,
  type InstallAnswer,
} from '../src/provider-session.js';

const APP = { id: '2141029472.691202649728', secret: 'slack-e2e-client-secret' };
const SIGNING_SECRET = 'slack-e2e-signing-secret';

describe('Slack provider: OAuth v2 install → app_mention → session → publication-scoped reply', () => {
  let fake: SlackFake;
  let client: Client;
  let models: ModelFakeServer;
  let started: InstallAnswer;

  beforeAll(async () => {
    fake = await startSlackFake(APP);
    models = await startModelFake();
    client = await connectAdminClient('gatehouse-e2e-slack');
  });
  afterAll(async () => {
    await client?.callTool({ name: 'delete_agent', arguments: { agent: 'e2e-slack-agent' } }).catch(() => {});
    await client?.close();
    await fake?.close();
    await models?.close();
  });

  /** Delivers a signed `app_mention` starting a thread at `ts`; answers the payload and the HTTP status. */
  async function deliverMention(ts: string) {
    const payload = slackAppMention(`Ev${crypto.randomUUID().slice(0, 8)}`);
    payload.event.ts = ts;
    payload.event.text = `<@${fake.botUserId}> can you summarise this thread?`;
    const raw = JSON.stringify(payload);
    const now = String(Math.floor(Date.now() / 1000));
    const delivered = await fetch(started.webhook_url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-slack-request-timestamp': now,
        'x-slack-signature': `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${now}:${raw}`).digest('hex')}`,
      },
      body: raw,
    });
    return { payload, status: delivered.status };
  }

  it('replies in the thread it was mentioned in, and nowhere else', async () => {
    started = await installProvider('slack', {
      mode: 'oauth',
      title: 'Slack e2e',
      credentials: { client_id: APP.id, client_secret: APP.secret, signing_secret: SIGNING_SECRET },
      settings: { api_url: fake.apiUrl },
    });
    const authorize = new URL(started.authorization_url!);
    expect(authorize.origin + authorize.pathname).toBe('https://slack.com/oauth/v2/authorize');
    const redirectUri = authorize.searchParams.get('redirect_uri')!;
    const code = fake.issueCode(authorize.searchParams.get('code_challenge')!, redirectUri);
    const callback = await fetch(`${redirectUri}?code=${code}&state=${authorize.searchParams.get('state')}`);
    expect(callback.status, await callback.clone().text()).toBe(200);

    const { payload, status } = await deliverMention(`${Math.floor(Date.now() / 1000)}.000042`);
    expect(status).toBe(202);
    const thread = `${payload.event.channel}:${payload.event.ts}`;

    const session = await waitForSession(client, thread);
    expect(session).toBeDefined();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'mcp_slack_reply_in_thread',
        'mcp_slack_post_message',
        'mcp_slack_add_reaction',
        'mcp_slack_list_channels',
      ]),
    );
    expect(tools.find((t) => t.name === 'mcp_slack_reply_in_thread')!.inputSchema.properties).toHaveProperty(
      '_session',
    );
    const ok = await client.callTool({
      name: 'mcp_slack_reply_in_thread',
      arguments: {
        channel: payload.event.channel,
        thread_ts: payload.event.ts,
        text: 'Summary: login fails on Safari only.',
        _session: session!.id,
      },
    });
    expect(ok.isError, text(ok)).toBeFalsy();
    expect(fake.calls).toEqual([
      {
        method: 'chat.postMessage',
        args: {
          channel: payload.event.channel,
          thread_ts: payload.event.ts,
          text: 'Summary: login fails on Safari only.',
        },
      },
    ]);

    const elsewhere = await client.callTool({
      name: 'mcp_slack_reply_in_thread',
      arguments: { channel: payload.event.channel, thread_ts: '1515449000.000001', text: 'x', _session: session!.id },
    });
    expect(elsewhere.isError).toBe(true);
    expect(text(elsewhere)).toMatch(/may not chat\.write there/);
    const topLevel = await client.callTool({
      name: 'mcp_slack_post_message',
      arguments: { channel: payload.event.channel, text: 'x', _session: session!.id },
    });
    expect(topLevel.isError).toBe(true);
    expect(fake.calls).toHaveLength(1);
  });

  it('an agent that handles the installation answers a mention in its thread', async () => {
    await createSessionAgent(client, {
      name: 'e2e-slack-agent',
      installationHandle: started.installation.handle,
      modelBaseUrl: models.baseUrl,
      apiKey: FAKE_MODEL_API_KEY,
    });
    models.model.push({ text: 'Summary: login fails on Safari only.' });
    fake.calls.length = 0;
    const { payload, status } = await deliverMention(`${Math.floor(Date.now() / 1000)}.000043`);
    expect(status).toBe(202);
    const session = await waitForSession(client, `${payload.event.channel}:${payload.event.ts}`);
    expect(await waitForAgentReply(client, session!.id)).toContain('agent.reply');
    expect(fake.calls).toEqual([
      {
        method: 'chat.postMessage',
        args: {
          channel: payload.event.channel,
          thread_ts: payload.event.ts,
          text: 'Summary: login fails on Safari only.',
        },
      },
    ]);
  });
});
