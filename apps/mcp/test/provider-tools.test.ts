import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createInstallation } from '@gatehouse/integrations-adapters-cf';
import { providerToolCallSchema, verifyInternalMessage } from '@gatehouse/integrations-core';
import { callTool, db, rpc, seedTenant } from './helpers.js';

async function githubInstallation(organizationId: string, title = 'GitHub') {
  return createInstallation(
    db,
    { organizationId },
    {
      kind: 'provider',
      source: 'github',
      title,
      scope: 'global',
      workspaceId: null,
      settings: {},
      credentials: 'jwe',
      createdBy: 'u',
    },
  );
}

async function recordedCalls() {
  await env.AUTH_DB.prepare('create table if not exists test_tool_calls (body text not null, signature text)').run();
  return (
    await env.AUTH_DB.prepare('select body, signature from test_tool_calls').all<{ body: string; signature: string }>()
  ).results;
}

describe('provider tools in the main worker', () => {
  it('lists a provider installation’s tools, with _session on the ones that write', async () => {
    const { token, org } = await seedTenant('prov-list');
    await githubInstallation(org.id);
    const { body } = await rpc(token, 'tools/list');
    const tools = body!.result.tools as {
      name: string;
      inputSchema: { properties: Record<string, unknown> };
      annotations?: { readOnlyHint?: boolean };
    }[];
    const comment = tools.find((t) => t.name === 'mcp_github_comment_on_issue')!;
    const get = tools.find((t) => t.name === 'mcp_github_get_issue')!;
    expect(comment.inputSchema.properties).toHaveProperty('_session');
    expect(get.inputSchema.properties).not.toHaveProperty('_session');
    expect(get.annotations?.readOnlyHint).toBe(true);
  });

  it('forwards a call signed, with the caller, the installation and the session; refusals become tool errors', async () => {
    const { token, org, ws, user } = await seedTenant('prov-call');
    const inst = await githubInstallation(org.id);
    const before = (await recordedCalls()).length;
    const ok = await callTool(token, 'mcp_github_comment_on_issue', {
      repository: 'octo/hello',
      number: 7,
      body: 'On it.',
      _session: 'session-1',
    });
    expect(ok.json).toEqual({ commented: true });
    const calls = await recordedCalls();
    expect(calls.length).toBe(before + 1);
    const last = calls.at(-1)!;
    expect(await verifyInternalMessage(env.MCP_SIGNING_KEY, 'provider-tool', JSON.parse(last.signature))).toEqual({
      ok: true,
    });
    expect(providerToolCallSchema.parse(JSON.parse(last.body))).toEqual({
      organizationId: org.id,
      workspaceId: ws.id,
      userId: user.id,
      installationId: inst.id,
      tool: 'mcp_github_comment_on_issue',
      arguments: { repository: 'octo/hello', number: 7, body: 'On it.' },
      sessionId: 'session-1',
      record: true,
    });
    const refused = await callTool(token, 'mcp_github_comment_on_issue', {
      repository: 'octo/hello',
      number: 8,
      body: 'x',
      _session: 'session-1',
    });
    expect(refused).toMatchObject({ isError: true, text: expect.stringMatching(/may not comment\.create there/) });
  });

  it('needs mcp:execute like any integration tool, and stays invisible to other organizations', async () => {
    const a = await seedTenant('prov-a');
    const b = await seedTenant('prov-b');
    await githubInstallation(a.org.id);
    const { body } = await rpc(b.token, 'tools/list');
    expect((body!.result.tools as { name: string }[]).map((t) => t.name)).not.toContain('mcp_github_comment_on_issue');
  });
});

describe('grant_publication', () => {
  it('grants a provider installation a workspace publication for offered scopes only', async () => {
    const { token, org, ws } = await seedTenant('prov-grant');
    const inst = await githubInstallation(org.id, 'GitHub Ops');
    const bad = await callTool(token, 'grant_publication', {
      integration: inst.handle,
      granularity: 'workspace',
      scopes: ['repo.delete'],
    });
    expect(bad).toMatchObject({ isError: true, text: expect.stringMatching(/does not offer repo\.delete/) });
    const ok = await callTool(token, 'grant_publication', {
      integration: inst.handle,
      granularity: 'workspace',
      scopes: ['issue.create'],
    });
    expect(ok.json.granted).toMatchObject({ granularity: 'workspace', scopes: ['issue.create'] });
    const { installationPublications } = await import('@gatehouse/integrations-adapters-cf');
    expect(await installationPublications(db, { organizationId: org.id }, inst.id)).toMatchObject([
      { granularity: 'workspace', target: ws.id, scopes: ['issue.create'] },
    ]);
  });
});
