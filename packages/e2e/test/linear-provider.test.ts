/**
 * Linear end to end: an OAuth install against a local Linear fake (PKCE code exchange at its token endpoint) → a
 * signed webhook assigning an issue to the app → an agent session with its publication → through the MCP SDK client, a
 * publication-scoped comment that reaches the fake's GraphQL API with the OAuth token, and a state change the
 * session's publication does not grant, refused before anything is sent.
 */
import { createHmac } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LINEAR_APP_USER_ID, linearIssueAssigned } from '@gatehouse/integrations/fixtures/linear';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_MODEL_API_KEY } from '@gatehouse/model-fake';
import { startLinearFake, type LinearFake } from '../src/linear-fake.js';
import { startModelFake, type ModelFakeServer } from '@gatehouse/model-fake/node';
import {
  connectAdminClient,
  createSessionAgent,
  installProvider,
  resultText as text,
  waitForAgentReply,
  waitForSession,
  type InstallAnswer,
} from '../src/provider-session.js';

const APP = { id: 'lin-e2e-client', secret: 'lin-e2e-client-secret' };
const WEBHOOK_SECRET = 'lin_wh_e2e_signing_secret';

describe('Linear provider: OAuth install → webhook → session → publication-scoped tool call', () => {
  let fake: LinearFake;
  let client: Client;
  let models: ModelFakeServer;
  let started: InstallAnswer;

  beforeAll(async () => {
    fake = await startLinearFake(APP);
    models = await startModelFake();
    client = await connectAdminClient('gatehouse-e2e-linear');
  });
  afterAll(async () => {
    await client?.callTool({ name: 'delete_agent', arguments: { agent: 'e2e-linear-agent' } }).catch(() => {});
    await client?.close();
    await fake?.close();
    await models?.close();
  });

  /** Delivers a signed `Issue` webhook assigning issue `issueId` to the app; answers the HTTP status. */
  async function deliverAssignment(issueId: string): Promise<number> {
    const payload = linearIssueAssigned(Date.now());
    payload.data.id = issueId;
    const raw = JSON.stringify(payload);
    const delivered = await fetch(started.webhook_url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'linear-event': 'Issue',
        'linear-delivery': crypto.randomUUID(),
        'linear-signature': createHmac('sha256', WEBHOOK_SECRET).update(raw).digest('hex'),
      },
      body: raw,
    });
    return delivered.status;
  }

  it('comments on the assigned issue and is refused a write its publication lacks', async () => {
    started = await installProvider('linear', {
      mode: 'oauth',
      title: 'Linear e2e',
      credentials: {
        client_id: APP.id,
        client_secret: APP.secret,
        webhook_secret: WEBHOOK_SECRET,
        app_user_id: LINEAR_APP_USER_ID,
        app_user_name: 'gatehouse',
      },
      settings: { api_url: fake.url },
    });
    // The person authorizes at linear.app, which redirects to our callback with a code bound to the PKCE challenge.
    const authorize = new URL(started.authorization_url!);
    expect(authorize.searchParams.get('actor')).toBe('app');
    const redirectUri = authorize.searchParams.get('redirect_uri')!;
    const code = fake.issueCode(authorize.searchParams.get('code_challenge')!, redirectUri);
    const callback = await fetch(`${redirectUri}?code=${code}&state=${authorize.searchParams.get('state')}`);
    expect(callback.status, await callback.clone().text()).toBe(200);

    const issueId = `${linearIssueAssigned(0).data.id.slice(0, -4)}e2e0`;
    expect(await deliverAssignment(issueId)).toBe(202);

    const session = await waitForSession(client, issueId);
    expect(session).toBeDefined();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'mcp_linear_create_comment',
        'mcp_linear_update_issue_state',
        'mcp_linear_search_issues',
      ]),
    );

    const ok = await client.callTool({
      name: 'mcp_linear_create_comment',
      arguments: { issue_id: issueId, body: 'Reproduced on Safari 18.', _session: session!.id },
    });
    expect(ok.isError, text(ok)).toBeFalsy();
    expect(JSON.parse(text(ok))).toMatchObject({ success: true, comment_id: expect.any(String) });
    expect(fake.operations).toEqual([
      { operation: 'createComment', variables: { input: { issueId, body: 'Reproduced on Safari 18.' } } },
    ]);

    const refused = await client.callTool({
      name: 'mcp_linear_update_issue_state',
      arguments: { issue_id: issueId, state_id: 'done', _session: session!.id },
    });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/does not grant issue\.update/);
    const otherIssue = await client.callTool({
      name: 'mcp_linear_create_comment',
      arguments: { issue_id: crypto.randomUUID(), body: 'x', _session: session!.id },
    });
    expect(otherIssue.isError).toBe(true);
    expect(fake.operations).toHaveLength(1);

    // A read needs no publication: a search through the SDK's searchIssues, mapped to what an agent needs.
    const found = await client.callTool({
      name: 'mcp_linear_search_issues',
      arguments: { term: 'Safari', _integration: started.installation.handle },
    });
    expect(found.isError, text(found)).toBeFalsy();
    expect(JSON.parse(text(found))).toEqual({
      issues: [
        {
          id: '9c8b7a6f-5e4d-4c3b-a2f1-e0d9c8b7a6f5',
          identifier: 'ENG-123',
          title: 'Login fails on Safari',
          url: 'https://linear.app/acme/issue/ENG-123/login-fails-on-safari',
          priority: 2,
        },
      ],
      total: 1,
    });
    expect(fake.operations.at(-1)).toMatchObject({
      operation: 'searchIssues',
      variables: { term: 'Safari', first: 20 },
    });
  });

  it('an agent that handles the installation answers an assignment with a comment on the issue', async () => {
    await createSessionAgent(client, {
      name: 'e2e-linear-agent',
      installationHandle: started.installation.handle,
      modelBaseUrl: models.baseUrl,
      apiKey: FAKE_MODEL_API_KEY,
    });
    models.model.push({ text: 'Picked up: reproducing on Safari now.' });
    fake.operations.length = 0;
    const issueId = `${linearIssueAssigned(0).data.id.slice(0, -4)}e2e1`;
    expect(await deliverAssignment(issueId)).toBe(202);
    const session = await waitForSession(client, issueId);
    expect(await waitForAgentReply(client, session!.id)).toContain('agent.reply');
    expect(fake.operations).toEqual([
      { operation: 'createComment', variables: { input: { issueId, body: 'Picked up: reproducing on Safari now.' } } },
    ]);
  });
});
