/**
 * GitHub end to end: install (credential paste, API pointed at a local GitHub fake) → a real signed webhook → an agent
 * session with its publication → through the MCP SDK client, a publication-scoped comment that reaches the fake, and
 * one outside the publication that is refused before anything is sent.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGithubFake, type GithubFake } from '../src/github-fake.js';
import { connectAdminClient, installProvider, resultText as text, waitForSession } from '../src/provider-session.js';

const SECRET = 'e2e-provider-webhook-secret';
const TOKEN = 'ghp_e2eProviderToken';

describe('GitHub provider: install → webhook → session → publication-scoped tool call', () => {
  let fake: GithubFake;
  let client: Client;

  beforeAll(async () => {
    fake = await startGithubFake(TOKEN);
    client = await connectAdminClient('gatehouse-e2e-github');
  });
  afterAll(async () => {
    await client?.close();
    await fake?.close();
  });

  it('comments where the session may, and is refused elsewhere', async () => {
    const { webhook_url, installation } = await installProvider('github', { title: 'GitHub Provider', credentials: { webhook_secret: SECRET, token: TOKEN }, settings: { api_url: fake.url } });

    const payload = (examples as unknown as { name: string; examples: Record<string, any>[] }[]).find((d) => d.name === 'issue_comment')!.examples.find((e) => e.action === 'created')!;
    payload.issue.number = 4242;
    const raw = JSON.stringify(payload);
    const thread = `${payload.repository.full_name}#4242`;
    const res = await fetch(webhook_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': 'issue_comment', 'x-github-delivery': 'e2e-provider-1', 'x-hub-signature-256': await sign(SECRET, raw) },
      body: raw,
    });
    expect(res.status).toBe(202);

    const session = await waitForSession(client, thread);
    expect(session).toBeDefined();
    const detail = JSON.parse(text(await client.callTool({ name: 'get_session', arguments: { session_id: session!.id } })));
    expect(detail.publications).toEqual([{ granularity: 'issue', target: thread, scopes: ['comment.create'] }]);

    const { tools } = await client.listTools();
    const comment = tools.find((t) => t.name === 'mcp_github_comment_on_issue');
    expect(comment?.inputSchema.properties).toHaveProperty('_session');

    const ok = await client.callTool({
      name: 'mcp_github_comment_on_issue',
      arguments: { repository: payload.repository.full_name, number: 4242, body: 'Looking into it.', _session: session!.id },
    });
    expect(ok.isError, text(ok)).toBeFalsy();
    expect(fake.requests).toEqual([
      { method: 'POST', path: `/repos/${payload.repository.full_name}/issues/4242/comments`, authorization: `token ${TOKEN}`, body: { body: 'Looking into it.' } },
    ]);

    const outside = await client.callTool({
      name: 'mcp_github_comment_on_issue',
      arguments: { repository: payload.repository.full_name, number: 1, body: 'Not my thread.', _session: session!.id },
    });
    expect(outside.isError).toBe(true);
    expect(text(outside)).toMatch(/may not comment\.create there/);
    // Other GitHub installations may exist in this organization: name this one, as a caller without a session must.
    const noSession = await client.callTool({
      name: 'mcp_github_comment_on_issue',
      arguments: { repository: payload.repository.full_name, number: 4242, body: 'x', _integration: installation.handle },
    });
    expect(noSession.isError).toBe(true);
    expect(text(noSession)).toMatch(/_session/);
    expect(fake.requests).toHaveLength(1);
  });
});
