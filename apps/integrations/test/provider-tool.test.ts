/**
 * Provider tool calls forwarded by the main worker: publication-scoped writes reach the vendor only where the
 * session's publication allows; everything else is refused before any request leaves.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SELF, env } from 'cloudflare:test';
import { createCredentialsCipher, signInternalMessage } from '@gatehouse/integrations-core';
import { callProviderTool, db, deliverProviderTool, installProvider, integrations, seedTenant } from './tenant.js';
import { appendSessionDispatch, createPublication, findInstallation } from '@gatehouse/integrations-adapters-cf';

const sent: { method: string; url: string; auth: string | null; body: string }[] = [];
/** Bot tokens the Slack fake accepts (a test revokes one after installing with it). */
const slackTokens = new Set(['Bearer xoxb-test']);

beforeEach(() => {
  sent.length = 0;
  const real = globalThis.fetch;
  // A GitHub REST fake: answers the two endpoints the tools use and refuses anything without the token.
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.hostname === 'slack.com') {
      // Slack Web API: 200 with ok:false for errors (https://api.slack.com/web#responses).
      sent.push({ method: req.method, url: req.url, auth: req.headers.get('authorization'), body: await req.text() });
      if (!slackTokens.has(req.headers.get('authorization') ?? ''))
        return Response.json({ ok: false, error: 'invalid_auth' });
      // The install's identity check (https://docs.slack.dev/reference/methods/auth.test).
      if (url.pathname === '/api/auth.test') return Response.json({ ok: true, user_id: 'U0BOT', team_id: 'T1' });
      if (url.pathname === '/api/conversations.replies') {
        // The thread C1:1515449522.000016: its root and one reply (https://api.slack.com/methods/conversations.replies).
        const root = { ts: '1515449522.000016', thread_ts: '1515449522.000016' };
        const reply = { ts: '1515449522.000100', thread_ts: '1515449522.000016' };
        const ts = new URLSearchParams(sent.at(-1)!.body).get('latest');
        return Response.json({ ok: true, messages: [root, ...(ts === reply.ts ? [reply] : [])] });
      }
      return Response.json({
        ok: true,
        ...(url.pathname === '/api/conversations.list' ? { channels: [{ id: 'C1', name: 'general' }] } : { ts: '1.2' }),
      });
    }
    if (url.hostname !== 'api.github.com') return real(input, init);
    sent.push({ method: req.method, url: req.url, auth: req.headers.get('authorization'), body: await req.text() });
    // GitHub accepts the token as `Bearer` or `token` (Octokit's default for installation/personal tokens).
    if (!['Bearer ghp_test_token', 'token ghp_test_token'].includes(req.headers.get('authorization') ?? ''))
      return Response.json({ message: 'Bad credentials' }, { status: 401 });
    if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+\/comments$/.test(url.pathname))
      return Response.json({ id: 1, html_url: 'https://github.com/x' }, { status: 201 });
    if (req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/issues\/\d+$/.test(url.pathname))
      return Response.json({ number: 7, title: 'Bug' });
    if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/issues$/.test(url.pathname))
      return Response.json({ number: 99, title: 'New' }, { status: 201 });
    // The install's identity check (https://docs.github.com/en/rest/users/users#get-the-authenticated-user).
    if (req.method === 'GET' && url.pathname === '/user') return Response.json({ login: 'gatehouse-bot', id: 1 });
    if (req.method === 'GET' && /^\/repos\/[^/]+\/[^/]+\/pulls$/.test(url.pathname))
      return Response.json([{ number: 12, title: 'Fix login', state: url.searchParams.get('state') }]);
    return Response.json({ message: 'Not Found' }, { status: 404 });
  });
});
afterEach(() => vi.restoreAllMocks());

async function setup(slug: string) {
  const { org, ws, user, token } = await seedTenant(slug);
  const installationId = (
    await installProvider(token, 'github', { credentials: { webhook_secret: 's', token: 'ghp_test_token' } })
  ).body.installation.id;
  sent.length = 0; // the install's identity check is not what the tests count
  const { sessionId } = await appendSessionDispatch(
    db,
    { organizationId: org.id },
    {
      dispatchId: `github:${installationId}:d1`,
      organizationId: org.id,
      workspaceId: null,
      installationId,
      provider: 'github',
      threadKey: 'octo/hello#7',
      title: 'Bug',
      publication: { granularity: 'issue', target: 'octo/hello#7', scopes: ['comment.create'] },
      event: { name: 'issue_comment.created', actor: 'octocat', summary: 's', data: {} },
    },
  );
  return { org, ws, user, installationId, sessionId };
}

const call = callProviderTool;

describe('publication-scoped provider tools', () => {
  it('writes where the session’s publication allows, with the installation’s token', async () => {
    const s = await setup('pt-ok');
    const res = await call({
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
      tool: 'mcp_github_comment_on_issue',
      arguments: { repository: 'octo/hello', number: 7, body: 'On it.' },
      sessionId: s.sessionId,
    });
    expect(res.status).toBe(200);
    expect(sent).toEqual([
      {
        method: 'POST',
        url: 'https://api.github.com/repos/octo/hello/issues/7/comments',
        auth: 'token ghp_test_token',
        body: '{"body":"On it."}',
      },
    ]);
  });

  it('answers a recorded call with its upstream exchanges, the token redacted, and an unrecorded one without', async () => {
    const s = await setup('pt-record');
    const args = {
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
      tool: 'mcp_github_comment_on_issue',
      // An argument that repeats the installation's token: it must not come back either.
      arguments: { repository: 'octo/hello', number: 7, body: 'repeating ghp_test_token here' },
      sessionId: s.sessionId,
    };
    const recorded = await integrations.callProviderTool(
      await signInternalMessage(env.MCP_SIGNING_KEY, 'provider-tool', { ...args, record: true }),
    );
    expect(recorded.ok).toBe(true);
    expect(recorded.recorded?.exchanges).toMatchObject([
      {
        method: 'POST',
        url: 'https://api.github.com/repos/octo/hello/issues/7/comments',
        status: 201,
        requestHeaders: { authorization: '[redacted]' },
        requestBody: '{"body":"repeating [redacted] here"}',
        responseBody: '{"id":1,"html_url":"https://github.com/x"}',
      },
    ]);
    // The arguments repeat the token: the recorded copy has it redacted, the call itself was made as asked.
    expect(recorded.recorded?.arguments).toMatchObject({ body: 'repeating [redacted] here' });
    expect(JSON.stringify(recorded.recorded)).not.toContain('ghp_test_token');
    const plain = await integrations.callProviderTool(
      await signInternalMessage(env.MCP_SIGNING_KEY, 'provider-tool', args),
    );
    expect(plain.ok).toBe(true);
    expect(plain.recorded).toBeUndefined();
  });

  it('refuses a write outside the publication (another issue) and sends nothing upstream', async () => {
    const s = await setup('pt-outside');
    const res = await call({
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
      tool: 'mcp_github_comment_on_issue',
      arguments: { repository: 'octo/hello', number: 8, body: 'x' },
      sessionId: s.sessionId,
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/allows only issue octo\/hello#7/);
    expect(sent).toEqual([]);
  });

  it('refuses a write without a session, but lets read tools run without one', async () => {
    const s = await setup('pt-nosession');
    const write = await call({
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
      tool: 'mcp_github_comment_on_issue',
      arguments: { repository: 'octo/hello', number: 7, body: 'x' },
      sessionId: null,
    });
    expect(write.status).toBe(403);
    expect(((await write.json()) as { message: string }).message).toMatch(/_session/);
    expect(sent).toEqual([]);
    const read = await call({
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
      tool: 'mcp_github_get_issue',
      arguments: { repository: 'octo/hello', number: 7 },
      sessionId: null,
    });
    expect(read.status).toBe(200);
  });

  it('lists pull requests (a read) and refuses a review the publication does not grant', async () => {
    const s = await setup('pt-review');
    const base = {
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
    };
    const list = await call({
      ...base,
      tool: 'mcp_github_list_pull_requests',
      arguments: { repository: 'octo/hello', state: 'open' },
      sessionId: null,
    });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { result: unknown }).result).toEqual([
      { number: 12, title: 'Fix login', state: 'open' },
    ]);
    const review = await call({
      ...base,
      tool: 'mcp_github_create_review',
      arguments: { repository: 'octo/hello', number: 7, event: 'APPROVE' },
      sessionId: s.sessionId,
    });
    expect(review.status).toBe(403);
    expect(((await review.json()) as { message: string }).message).toMatch(/does not grant review\.create/);
    const created = await call({
      ...base,
      tool: 'mcp_github_create_issue',
      arguments: { repository: 'octo/hello', title: 'New' },
      sessionId: s.sessionId,
    });
    expect(created.status).toBe(403);
    expect(sent.map((r) => r.method)).toEqual(['GET']);
  });

  it('lets a standing workspace publication open issues without a session, and nothing else', async () => {
    const s = await setup('pt-standing');
    const base = {
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
    };
    const refused = await call({
      ...base,
      tool: 'mcp_github_create_issue',
      arguments: { repository: 'octo/hello', title: 'New' },
      sessionId: null,
    });
    expect(refused.status).toBe(403);
    await createPublication(
      db,
      { organizationId: s.org.id },
      { installationId: s.installationId, granularity: 'workspace', target: s.ws.id, scopes: ['issue.create'] },
    );
    const created = await call({
      ...base,
      tool: 'mcp_github_create_issue',
      arguments: { repository: 'octo/hello', title: 'New' },
      sessionId: null,
    });
    expect(created.status).toBe(200);
    expect(sent.map((r) => `${r.method} ${new URL(r.url).pathname}`)).toEqual(['POST /repos/octo/hello/issues']);
    // The workspace grant is for issue.create only: comments still need a session.
    const comment = await call({
      ...base,
      tool: 'mcp_github_comment_on_issue',
      arguments: { repository: 'octo/hello', number: 7, body: 'x' },
      sessionId: null,
    });
    expect(comment.status).toBe(403);
    // Another workspace of the organization is not covered.
    const other = await call({
      ...base,
      workspaceId: 'another-workspace',
      tool: 'mcp_github_create_issue',
      arguments: { repository: 'octo/hello', title: 'New' },
      sessionId: null,
    });
    expect(other.status).toBe(403);
  });

  it('refuses a forged call, another organization’s session, and an unknown installation', async () => {
    const a = await setup('pt-a');
    const b = await setup('pt-b');
    const base = {
      organizationId: a.org.id,
      workspaceId: a.ws.id,
      userId: a.user.id,
      installationId: a.installationId,
      tool: 'mcp_github_comment_on_issue',
      arguments: { repository: 'octo/hello', number: 7, body: 'x' },
    };
    expect((await call({ ...base, sessionId: a.sessionId }, 'not-the-signing-key-0123456789abcdef012345')).status).toBe(
      401,
    );
    expect((await call({ ...base, sessionId: b.sessionId })).status).toBe(404);
    expect((await call({ ...base, installationId: b.installationId, sessionId: a.sessionId })).status).toBe(404);
    expect(sent).toEqual([]);
  });

  it('runs a signed call once: a replay, a dispatch-signed message and the old public route are refused', async () => {
    const s = await setup('pt-replay');
    const theCall = {
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
      tool: 'mcp_github_comment_on_issue',
      arguments: { repository: 'octo/hello', number: 7, body: 'Once.' },
      sessionId: s.sessionId,
    };
    const message = await signInternalMessage(env.MCP_SIGNING_KEY, 'provider-tool', theCall);
    expect((await deliverProviderTool(message)).status).toBe(200);
    const replay = await deliverProviderTool(message);
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: 'replayed' });
    expect(sent).toHaveLength(1);
    // Signed with the right key for the other direction (a session dispatch): not a tool call.
    const dispatchSigned = await signInternalMessage(env.MCP_SIGNING_KEY, 'session-dispatch', theCall);
    expect((await deliverProviderTool(dispatchSigned)).status).toBe(401);
    expect(sent).toHaveLength(1);
    const route = await SELF.fetch('http://integrations.test/internal/provider-tool', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await signInternalMessage(env.MCP_SIGNING_KEY, 'provider-tool', theCall)),
    });
    expect(route.status).toBe(404);
    expect(sent).toHaveLength(1);
  });
});

/** A Slack installation (bot token xoxb-test) and a session on thread C1:1515449522.000016 granted `scopes`. */
async function slackThreadSession(slug: string, scopes: string[]) {
  const { org, ws, user, token } = await seedTenant(slug);
  const installationId = (
    await installProvider(token, 'slack', {
      credentials: { signing_secret: 's', bot_user_id: 'U0BOT', bot_token: 'xoxb-test' },
    })
  ).body.installation.id;
  sent.length = 0; // the install's identity check is not what the tests count
  const { sessionId } = await appendSessionDispatch(
    db,
    { organizationId: org.id },
    {
      dispatchId: `slack:${installationId}:${slug}`,
      organizationId: org.id,
      workspaceId: null,
      installationId,
      provider: 'slack',
      threadKey: 'C1:1515449522.000016',
      title: null,
      publication: { granularity: 'issue', target: 'C1:1515449522.000016', scopes },
      event: { name: 'app_mention', actor: 'U1', summary: 's', data: {} },
    },
  );
  return {
    org,
    ws,
    user,
    token,
    base: { organizationId: org.id, workspaceId: ws.id, userId: user.id, installationId, sessionId },
  };
}

describe('Slack reactions under a thread publication', () => {
  it('reacts to a message of the session’s thread, and refuses one of another thread with 403', async () => {
    const { base } = await slackThreadSession('pt-slack-react', ['reactions.write']);
    const react = (timestamp: string) =>
      call({
        ...base,
        tool: 'mcp_slack_add_reaction',
        arguments: { channel: 'C1', thread_ts: '1515449522.000016', timestamp, name: 'eyes' },
      });
    const added = () => sent.filter((r) => r.url === 'https://slack.com/api/reactions.add').length;

    expect((await react('1515449522.000100')).status).toBe(200);
    expect((await react('1515449522.000016')).status).toBe(200);
    expect(added()).toBe(2);
    // Another message of the same channel: the publication names this thread, the message is not in it.
    const elsewhere = await react('1515449999.000001');
    expect(elsewhere.status).toBe(403);
    expect(((await elsewhere.json()) as { error: string }).error).toBe('outside_publication');
    expect(added()).toBe(2);
  });
});

describe('Slack tools under a thread publication', () => {
  it('replies in the session’s thread, refuses new messages and reactions it was not granted, lists channels', async () => {
    const { token, base } = await slackThreadSession('pt-slack', ['chat.write']);
    const reply = await call({
      ...base,
      tool: 'mcp_slack_reply_in_thread',
      arguments: { channel: 'C1', thread_ts: '1515449522.000016', text: 'On it' },
    });
    expect(reply.status, await reply.clone().text()).toBe(200);
    // @slack/web-api sends form-encoded arguments (Slack takes those or JSON: https://docs.slack.dev/apis/web-api/).
    expect(sent.at(-1)).toMatchObject({ url: 'https://slack.com/api/chat.postMessage', auth: 'Bearer xoxb-test' });
    expect(Object.fromEntries(new URLSearchParams(sent.at(-1)!.body))).toEqual({
      channel: 'C1',
      thread_ts: '1515449522.000016',
      text: 'On it',
    });
    const count = sent.length;
    expect(
      (await call({ ...base, tool: 'mcp_slack_post_message', arguments: { channel: 'C1', text: 'hello all' } })).status,
    ).toBe(403);
    expect(
      (
        await call({
          ...base,
          tool: 'mcp_slack_add_reaction',
          arguments: { channel: 'C1', thread_ts: '1515449522.000016', timestamp: '1.2', name: 'eyes' },
        })
      ).status,
    ).toBe(403);
    expect(sent.length).toBe(count);
    const channels = await call({ ...base, tool: 'mcp_slack_list_channels', arguments: {} });
    expect(((await channels.json()) as { result: { channels: unknown[] } }).result.channels).toEqual([
      { id: 'C1', name: 'general' },
    ]);

    // Slack's ok:false answers become a tool error with Slack's documented code, never the token. The token worked
    // when it was installed (the install checks it) and was revoked since.
    slackTokens.add('Bearer xoxb-revoked');
    const wrong = (
      await installProvider(token, 'slack', {
        credentials: { signing_secret: 's', bot_user_id: 'U0BOT', bot_token: 'xoxb-revoked' },
      })
    ).body.installation.id;
    slackTokens.delete('Bearer xoxb-revoked');
    const refused = await call({
      ...base,
      installationId: wrong,
      tool: 'mcp_slack_list_channels',
      arguments: {},
      sessionId: null,
    });
    // The token itself is dead: a refusal that marks the installation needs_reauth (connection health).
    expect(refused.status).toBe(401);
    const answer = (await refused.json()) as { error: string; message: string };
    expect(answer).toEqual({ error: 'credentials_refused', message: 'Slack: Slack refused the token: invalid_auth' });
    expect(answer.message).not.toContain('xoxb-revoked');
    const row = await findInstallation(db, { organizationId: base.organizationId }, wrong);
    expect(row?.health).toMatchObject({ needsReauth: true, lastFailure: { kind: 'upstream_401' } });
  });

  it('marks a GitHub installation needs_reauth when GitHub answers 401 to its token', async () => {
    const { org, ws, user, token } = await seedTenant('pt-github-401');
    const installationId = (
      await installProvider(token, 'github', { credentials: { webhook_secret: 's', token: 'ghp_test_token' } })
    ).body.installation.id;
    // The token is revoked at GitHub: stored credentials no longer match what the fake accepts.
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    await env.AUTH_DB.prepare('UPDATE installations SET credentials = ? WHERE id = ?')
      .bind(await cipher.encrypt({ webhook_secret: 's', token: 'ghp_revoked' }), installationId)
      .run();
    const res = await call({
      organizationId: org.id,
      workspaceId: ws.id,
      userId: user.id,
      installationId,
      tool: 'mcp_github_get_issue',
      arguments: { repository: 'octo/hello', number: 7 },
      sessionId: null,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: 'credentials_refused',
      message: expect.stringMatching(/GitHub answered 401/),
    });
    const row = await findInstallation(db, { organizationId: org.id }, installationId);
    expect(row?.health).toMatchObject({ needsReauth: true, lastFailure: { kind: 'upstream_401' } });
  });

  it('refuses arguments that do not match the tool’s input with 400, naming the fields, and sends nothing', async () => {
    const s = await setup('pt-invalid');
    const res = await call({
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.installationId,
      tool: 'mcp_github_get_issue',
      arguments: { repository: 'not a repository', number: 'seven' },
      sessionId: null,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('invalid_arguments');
    expect(body.message).toMatch(/^Invalid arguments for mcp_github_get_issue: repository: .*; number: /);
    expect(body.message).not.toContain('not a repository');
    expect(sent).toEqual([]);
  });
});
