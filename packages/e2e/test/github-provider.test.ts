/**
 * GitHub end to end, both install paths with the API pointed at a local GitHub fake: a GitHub App (the preferred path:
 * the installation checked and its tokens bought with an RS256 app JWT the fake verifies) and a credential paste →
 * a real signed webhook → an agent session with its publication → through the MCP SDK client, a publication-scoped
 * comment that reaches the fake, and one outside the publication that is refused before anything is sent.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startGithubFake, type FakeGithubApp, type GithubFake } from '../src/github-fake.js';
import { connectAdminClient, installProvider, resultText as text, waitForSession } from '../src/provider-session.js';

const SECRET = 'e2e-provider-webhook-secret';
const TOKEN = 'ghp_e2eProviderToken';

/** Delivers an `issue_comment` webhook as GitHub does: the raw body signed (with `secret`) in X-Hub-Signature-256. */
async function deliverComment(url: string, raw: string, deliveryId: string, secret = SECRET): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await sign(secret, raw),
    },
    body: raw,
  });
}

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
    const { webhook_url, installation } = await installProvider('github', {
      title: 'GitHub Provider',
      credentials: { webhook_secret: SECRET, token: TOKEN },
      settings: { api_url: fake.url },
    });
    // The install checked the pasted token with GitHub first; the tool calls below are counted from here.
    expect(fake.requests).toEqual([{ method: 'GET', path: '/user', authorization: `token ${TOKEN}`, body: undefined }]);
    fake.requests.length = 0;

    const payload = (examples as unknown as { name: string; examples: Record<string, any>[] }[])
      .find((d) => d.name === 'issue_comment')!
      .examples.find((e) => e.action === 'created')!;
    payload.issue.number = 4242;
    const raw = JSON.stringify(payload);
    const thread = `${payload.repository.full_name}#4242`;
    expect((await deliverComment(webhook_url, raw, 'e2e-provider-1')).status).toBe(202);

    const session = await waitForSession(client, thread);
    expect(session).toBeDefined();
    const detail = JSON.parse(
      text(await client.callTool({ name: 'get_session', arguments: { session_id: session!.id } })),
    );
    expect(detail.publications).toEqual([{ granularity: 'issue', target: thread, scopes: ['comment.create'] }]);

    const { tools } = await client.listTools();
    const comment = tools.find((t) => t.name === 'mcp_github_comment_on_issue');
    expect(comment?.inputSchema.properties).toHaveProperty('_session');

    const ok = await client.callTool({
      name: 'mcp_github_comment_on_issue',
      arguments: {
        repository: payload.repository.full_name,
        number: 4242,
        body: 'Looking into it.',
        _session: session!.id,
      },
    });
    expect(ok.isError, text(ok)).toBeFalsy();
    expect(fake.requests).toEqual([
      {
        method: 'POST',
        path: `/repos/${payload.repository.full_name}/issues/4242/comments`,
        authorization: `token ${TOKEN}`,
        body: { body: 'Looking into it.' },
      },
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
      arguments: {
        repository: payload.repository.full_name,
        number: 4242,
        body: 'x',
        _integration: installation.handle,
      },
    });
    expect(noSession.isError).toBe(true);
    expect(text(noSession)).toMatch(/_session/);
    expect(fake.requests).toHaveLength(1);

    // A forged delivery (signed with another secret) is refused, and recorded as such with nothing it carried.
    expect((await deliverComment(webhook_url, raw, 'e2e-forged-1', 'someone-elses-secret')).status).toBe(401);

    // One trace joins the delivery, its dispatch, the session event and both tool calls made with the session.
    type Item = { id: string; kind: string; status: string; reason: string | null; trace: string; summary: string };
    const history = async (args: Record<string, unknown>): Promise<Item[]> =>
      JSON.parse(text(await client.callTool({ name: 'search_run_history', arguments: args }))).items;
    // A dispatch attempt that failed and was retried would be a further `dispatch:error` item: legitimate, left out.
    let traced: Item[] = [];
    for (let i = 0; i < 100 && traced.length < 5; i++) {
      traced = (await history({ trace: detail.trace })).filter((t) => !(t.kind === 'dispatch' && t.status === 'error'));
      if (traced.length < 5) await new Promise((r) => setTimeout(r, 50));
    }
    expect(traced.map((i) => `${i.kind}:${i.status}`).sort()).toEqual([
      'dispatch:ok',
      'session_event:ok',
      'tool_call:ok',
      'tool_call:refused',
      'webhook_delivery:ok',
    ]);
    // get_session lists the same trace.
    const again = JSON.parse(
      text(await client.callTool({ name: 'get_session', arguments: { session_id: session!.id } })),
    );
    expect(again.run_history.map((i: Item) => i.id).sort()).toEqual(
      expect.arrayContaining(traced.map((i) => i.id).sort()),
    );
    const bySession = await history({ session: session!.id });
    expect(bySession.map((i) => i.kind)).toEqual(expect.arrayContaining(['tool_call', 'session_event', 'dispatch']));
    expect(bySession.every((i) => i.trace === detail.trace)).toBe(true);
    const call = traced.find((i) => i.kind === 'tool_call' && i.status === 'ok')!;
    const item = JSON.parse(text(await client.callTool({ name: 'get_run_history_item', arguments: { id: call.id } })));
    expect(item.detail.exchanges).toMatchObject([
      {
        method: 'POST',
        url: `${fake.url}/repos/${payload.repository.full_name}/issues/4242/comments`,
        status: 201,
        requestHeaders: { authorization: '[redacted]' },
      },
    ]);
    expect(JSON.stringify(item)).not.toContain(TOKEN);
    const refused = (await history({ kind: 'webhook_delivery', status: 'refused', integration: installation.id }))[0];
    expect(refused).toMatchObject({ reason: 'bad_signature' });
    const refusedItem = JSON.parse(
      text(await client.callTool({ name: 'get_run_history_item', arguments: { id: refused!.id } })),
    );
    expect(refusedItem.detail).toBeNull();
  });

  it('installs as a GitHub App, starts a session when the app is mentioned, and comments with an installation token', async () => {
    const keys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const app: FakeGithubApp = {
      appId: '424242',
      slug: 'gatehouse-e2e-agent',
      publicKeyPem: keys.publicKey,
      installationId: 9_000_001,
    };
    const appFake = await startGithubFake('ghp_unused', app);
    try {
      const started = await installProvider('github', {
        mode: 'oauth',
        title: 'GitHub App',
        credentials: { app_id: app.appId, app_slug: app.slug, private_key: keys.privateKey, webhook_secret: SECRET },
        settings: { api_url: appFake.url },
      });
      const installUrl = new URL(started.authorization_url!);
      expect(installUrl.origin + installUrl.pathname).toBe(`https://github.com/apps/${app.slug}/installations/new`);
      // GitHub sends the person to the app's Setup URL (our callback) with the installation id and our state.
      const callback = await fetch(
        `${inject('integrationsUrl')}/install/github/callback?installation_id=${app.installationId}&setup_action=install&state=${installUrl.searchParams.get('state')}`,
      );
      expect(callback.status, await callback.clone().text()).toBe(200);

      const payload = structuredClone(
        (examples as unknown as { name: string; examples: Record<string, any>[] }[])
          .find((d) => d.name === 'issue_comment')!
          .examples.find((e) => e.action === 'created')!,
      );
      payload.issue.number = 4343;
      payload.comment.body = `@${app.slug} can you take a look?`;
      // The App's webhook names the installation the event belongs to.
      payload.installation = { id: app.installationId, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uOTAwMDAwMQ==' };
      const raw = JSON.stringify(payload);
      const thread = `${payload.repository.full_name}#4343`;
      expect((await deliverComment(started.webhook_url, raw, 'e2e-app-1')).status).toBe(202);
      const session = await waitForSession(client, thread);
      expect(session).toBeDefined();

      const ok = await client.callTool({
        name: 'mcp_github_comment_on_issue',
        arguments: { repository: payload.repository.full_name, number: 4343, body: 'On it.', _session: session!.id },
      });
      expect(ok.isError, text(ok)).toBeFalsy();
      const comment = appFake.requests.at(-1)!;
      expect(comment).toMatchObject({
        method: 'POST',
        path: `/repos/${payload.repository.full_name}/issues/4343/comments`,
        body: { body: 'On it.' },
      });
      expect(comment.authorization).toMatch(/^token ghs_/);
      // Before it: the installation check and the token purchase, both with the app JWT.
      expect(appFake.requests.map((r) => `${r.method} ${r.path}`).slice(0, 2)).toEqual([
        `GET /app/installations/${app.installationId}`,
        `POST /app/installations/${app.installationId}/access_tokens`,
      ]);
      expect(appFake.requests[0]!.authorization).toMatch(/^bearer ey/i);
    } finally {
      await appFake.close();
    }
  });
});
