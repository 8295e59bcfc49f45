/**
 * Run history of tool calls in the main worker: what an item records of a template call against a local Jira fake
 * (method, path, status, redacted request), failures and refusals with their reasons, a 3 MB upstream body dug into
 * with get_run_history_item under 900 KB, who may see what (MEMBER, ADMIN, another organization), retention, and a
 * grep of every stored byte for the secrets the calls handled.
 */
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendSessionDispatch,
  createApiToken,
  createInstallation,
  createWorkspace,
  purgeRunHistory,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import { traceIdForThread } from '@gatehouse/integrations-core';
import { callTool, db, seedTenant } from './helpers.js';
import { fakeHosts } from './vendor-fakes.js';
import { MAX_BUFFERED_ITEMS, recordLater } from '../src/history/write-behind.js';
import { vi } from 'vitest';

const SITE = 'history.atlassian.net';
const JIRA_TOKEN = 'jira-secret-token';
/** Near the end of the 3 MB description. */
const NEEDLE = 'needle-near-the-end-7f3a';

const issue = (key: string, description = 'short') => ({
  id: '1',
  key,
  fields: {
    summary: `Summary of ${key}`,
    description,
    status: { name: 'Open' },
    issuetype: { name: 'Bug' },
    priority: { name: 'High' },
    assignee: null,
  },
});

beforeAll(() => {
  fakeHosts.set(SITE, (req) => {
    const key = new URL(req.url).pathname.split('/').at(-1)!;
    if (key === 'FAIL-1') return Response.json({ errorMessages: [`upstream echo ${JIRA_TOKEN}`] }, { status: 500 });
    if (key === 'BIG-1') return Response.json(issue(key, `${'x'.repeat(3 * 1024 * 1024)} ${NEEDLE} tail`));
    if (key === 'HUGE-1') return Response.json(issue(key, 'z'.repeat(1024 * 1024)));
    // What AbortSignal.timeout raises when the upstream does not answer within the deadline.
    if (key === 'SLOW-1') throw new DOMException('The operation timed out.', 'TimeoutError');
    return Response.json(issue(key));
  });
});

type Item = {
  id: string;
  kind: string;
  status: string;
  summary: string;
  reason: string | null;
  tool: string | null;
  integration: string | null;
  trace: string;
  who: { type: string; id: string; user: string };
  detail_bytes: number;
};

/** search_run_history until `n` items match (the items are written after each answer, through waitUntil). */
async function waitForItems(token: string, filter: Record<string, unknown>, n: number): Promise<Item[]> {
  for (let i = 0; i < 100; i++) {
    const res = await callTool(token, 'search_run_history', filter);
    expect(res.isError, res.text).toBe(false);
    const items = (res.json as { items: Item[] }).items;
    if (items.length >= n) return items;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${n} run-history items for ${JSON.stringify(filter)}`);
}

async function installJira(token: string, organizationId: string) {
  const installed = await callTool(token, 'install_integration', {
    template: 'jira-cloud',
    credentials: { email: 'me@acme.test', api_token: JIRA_TOKEN },
    settings: { site_url: `https://${SITE}` },
  });
  expect(installed.isError, installed.text).toBe(false);
  const row = await env.AUTH_DB.prepare('select id from installations where organization_id = ?')
    .bind(organizationId)
    .first<{ id: string }>();
  return row!.id;
}

describe('run history of tool calls', () => {
  it('records a template call with its upstream request, redacted, and finds it by integration and tool', async () => {
    const { token, org } = await seedTenant('rh-call');
    const installationId = await installJira(token, org.id);
    const ok = await callTool(token, 'get_issue', { issue_key: 'PROJ-1' });
    expect(ok.isError, ok.text).toBe(false);
    const [item] = await waitForItems(token, { integration: installationId, tool: 'get_issue' }, 1);
    expect(item).toMatchObject({ kind: 'tool_call', status: 'ok', tool: 'get_issue', integration: installationId });
    expect(item!.who.type).toBe('api_token');
    expect(item!.summary).toContain(`GET ${SITE}/rest/api/3/issue/PROJ-1 → 200`);
    const got = await callTool(token, 'get_run_history_item', { id: item!.id });
    const detail = (got.json as { detail: { arguments: unknown; exchanges: Record<string, unknown>[] } }).detail;
    expect(detail.arguments).toEqual({ issue_key: 'PROJ-1' });
    expect(detail.exchanges).toHaveLength(1);
    const [exchange] = detail.exchanges;
    expect(exchange).toMatchObject({ method: 'GET', status: 200 });
    expect(exchange!.url).toMatch(new RegExp(`^https://${SITE}/rest/api/3/issue/PROJ-1\\?fields=`));
    expect((exchange!.requestHeaders as Record<string, string>).authorization).toBe('[redacted]');
    expect(exchange!.responseBody).toContain('Summary of PROJ-1');
    expect(JSON.stringify(got.json)).not.toContain(JIRA_TOKEN);
  });

  it('records failures and refusals with their reasons', async () => {
    const { token, org } = await seedTenant('rh-fail');
    const installationId = await installJira(token, org.id);
    const failed = await callTool(token, 'get_issue', { issue_key: 'FAIL-1' });
    expect(failed.isError).toBe(true);
    const [error] = await waitForItems(token, { status: 'error', tool: 'get_issue' }, 1);
    expect(error).toMatchObject({ reason: 'upstream_status', integration: installationId });
    expect(error!.summary).toContain('→ 500');
    // The upstream echoed the credential into its error body: the recorded body has it redacted.
    const got = await callTool(token, 'get_run_history_item', { id: error!.id, search: 'upstream echo' });
    const matches = (got.json as { matches: { field: string; fragment: string }[] }).matches;
    expect(matches[0]!.field).toBe('exchanges[0].responseBody');
    expect(matches[0]!.fragment).toContain('upstream echo [redacted]');

    const slow = await callTool(token, 'get_issue', { issue_key: 'SLOW-1' });
    expect(slow.isError).toBe(true);
    const [timeout] = await waitForItems(token, { tool: 'get_issue', text: 'did not answer' }, 1);
    expect(timeout).toMatchObject({ status: 'error', reason: 'upstream_timeout' });

    // The installation's site moved to a private address (a row edited behind the gateway's back): refused.
    await env.AUTH_DB.prepare('update installations set settings = ? where id = ?')
      .bind(JSON.stringify({ site_url: 'https://10.0.0.7' }), installationId)
      .run();
    await env.AUTH_DB.prepare('update organizations set catalog_version = catalog_version + 1 where id = ?')
      .bind(org.id)
      .run();
    const refused = await callTool(token, 'get_issue', { issue_key: 'PROJ-2' });
    expect(refused.isError).toBe(true);
    const [ssrf] = await waitForItems(token, { status: 'refused', tool: 'get_issue' }, 1);
    expect(ssrf).toMatchObject({ reason: 'outbound_refused', integration: installationId });

    await expect(callTool(token, 'no_such_tool', {})).rejects.toThrow('Unknown tool');
    const [rpc] = await waitForItems(token, { tool: 'no_such_tool' }, 1);
    expect(rpc).toMatchObject({ status: 'error', reason: 'unknown_tool' });
  });

  it('answers a 3 MB upstream body under 900 KB and finds text near its end with search and pattern', async () => {
    const { token, org } = await seedTenant('rh-big');
    await installJira(token, org.id);
    const big = await callTool(token, 'get_issue', { issue_key: 'BIG-1' });
    expect(big.isError, big.text).toBe(false);
    const [item] = await waitForItems(token, { tool: 'get_issue' }, 1);
    expect(item!.detail_bytes).toBeGreaterThan(3 * 1024 * 1024);
    const whole = await callTool(token, 'get_run_history_item', { id: item!.id });
    expect(new TextEncoder().encode(whole.text).length).toBeLessThan(900 * 1024);
    expect(whole.text).toContain('truncated');
    expect(whole.text).not.toContain(NEEDLE);

    const found = await callTool(token, 'get_run_history_item', { id: item!.id, search: NEEDLE.toUpperCase() });
    const { matches } = found.json as { matches: { field: string; offset: number; fragment: string }[] };
    expect(matches).toHaveLength(1);
    expect(matches[0]!.field).toBe('exchanges[0].responseBody');
    expect(matches[0]!.offset).toBeGreaterThan(3 * 1024 * 1024);
    expect(matches[0]!.fragment).toContain(NEEDLE);
    expect(found.text.length).toBeLessThan(4096);

    const byPattern = await callTool(token, 'get_run_history_item', { id: item!.id, pattern: 'needle-[a-z-]+7f3a' });
    expect((byPattern.json as { matches: unknown[] }).matches).toHaveLength(1);
    const slice = await callTool(token, 'get_run_history_item', {
      id: item!.id,
      field: 'exchanges[0].responseBody',
      offset: matches[0]!.offset,
      length: NEEDLE.length,
    });
    expect(slice.json).toMatchObject({ text: NEEDLE, more: true });
    const bad = await callTool(token, 'get_run_history_item', { id: item!.id, pattern: '(a+)+\\1' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toContain('pattern:');
  });

  it('shows a MEMBER their own calls only, an ADMIN the organization’s, and another organization nothing', async () => {
    const { token: adminToken, org, ws, tenant } = await seedTenant('rh-vis');
    const member = await upsertMember(db, { organizationId: org.id }, { email: 'm@rh-vis.test', role: 'MEMBER' });
    const { token: memberToken } = await createApiToken(db, tenant, { userId: member.id, role: 'MEMBER', name: 'm' });
    await callTool(adminToken, 'get_my_profile', {});
    await callTool(memberToken, 'get_workspace_info', {});
    // A MEMBER calling an ADMIN tool: refused, and recorded as such.
    const refused = await callTool(memberToken, 'update_mcp_settings', { instructions: 'x' });
    expect(refused.isError).toBe(true);
    const adminSees = await waitForItems(adminToken, {}, 3);
    expect(adminSees.map((i) => i.tool).sort()).toEqual([
      'get_my_profile',
      'get_workspace_info',
      'update_mcp_settings',
    ]);
    const memberSees = await waitForItems(memberToken, {}, 2);
    expect(memberSees.map((i) => i.tool).sort()).toEqual(['get_workspace_info', 'update_mcp_settings']);
    expect(memberSees.find((i) => i.tool === 'update_mcp_settings')).toMatchObject({
      status: 'refused',
      reason: 'insufficient_role',
    });
    const adminItem = adminSees.find((i) => i.tool === 'get_my_profile')!;
    const hidden = await callTool(memberToken, 'get_run_history_item', { id: adminItem.id });
    expect(hidden.isError).toBe(true);
    const { token: otherToken } = await seedTenant('rh-vis-other');
    const foreign = await callTool(otherToken, 'get_run_history_item', { id: adminItem.id });
    expect(foreign.isError).toBe(true);
    const foreignSearch = await callTool(otherToken, 'search_run_history', { trace: adminItem.trace });
    expect((foreignSearch.json as { items: unknown[] }).items).toEqual([]);
    expect(ws.id).toBeTruthy();
  });

  it('pages newest first with a cursor and filters by text', async () => {
    const { token } = await seedTenant('rh-page');
    for (let i = 0; i < 3; i++) await callTool(token, 'get_my_profile', {});
    await callTool(token, 'get_workspace_info', {});
    await waitForItems(token, {}, 4);
    const first = await callTool(token, 'search_run_history', { limit: 3 });
    const page1 = first.json as { items: Item[]; next_cursor: string };
    expect(page1.items).toHaveLength(3);
    expect(page1.items[0]!.tool).toBe('get_workspace_info');
    const second = await callTool(token, 'search_run_history', { limit: 3, cursor: page1.next_cursor });
    const page2 = second.json as { items: Item[]; next_cursor: string | null };
    expect(page2.items).toHaveLength(1);
    expect(page2.next_cursor).toBeNull();
    const ids = new Set([...page1.items, ...page2.items].map((i) => i.id));
    expect(ids.size).toBe(4);
    const byText = await callTool(token, 'search_run_history', { text: 'WORKSPACE_info' });
    expect((byText.json as { items: Item[] }).items.map((i) => i.tool)).toEqual(['get_workspace_info']);
    const badCursor = await callTool(token, 'search_run_history', { cursor: 'nope' });
    expect(badCursor.isError).toBe(true);
  });

  it('records nothing at retention 0, and purges expired items with their R2 bodies', async () => {
    const { token, org } = await seedTenant('rh-retention');
    await installJira(token, org.id);
    await callTool(token, 'get_issue', { issue_key: 'BIG-1' });
    const [big] = await waitForItems(token, { tool: 'get_issue' }, 1);
    const key = `run-history/${org.id}/${big!.id}.json`;
    expect(await env.RUN_HISTORY.head(key)).not.toBeNull();

    const off = await callTool(token, 'update_mcp_settings', { run_history_retention_days: 0 });
    expect(off.json).toMatchObject({ run_history_retention_days: 0 });
    await callTool(token, 'get_my_profile', {});
    await callTool(token, 'get_workspace_info', {});
    // Nothing was recorded at retention 0 (not even the settings call that set it), and it moved the expiry of the
    // two kept items (the install and the big call) to their start: the next purge deletes them, R2 bodies first.
    let purged = 0;
    for (
      let n = await purgeRunHistory(db, env.RUN_HISTORY, 2);
      n > 0;
      n = await purgeRunHistory(db, env.RUN_HISTORY, 2)
    )
      purged += n;
    expect(purged).toBe(2);
    const left = await env.AUTH_DB.prepare('select count(*) as n from run_history_items where organization_id = ?')
      .bind(org.id)
      .first<{ n: number }>();
    expect(left!.n).toBe(0);
    expect(await env.RUN_HISTORY.head(key)).toBeNull();
  });

  it('never stores a secret: credentials, tool arguments repeating them, the worker keys', async () => {
    const { token, org } = await seedTenant('rh-secrets');
    await installJira(token, org.id);
    await callTool(token, 'get_issue', { issue_key: 'PROJ-9', note: JIRA_TOKEN });
    await callTool(token, 'get_issue', { issue_key: 'FAIL-1' });
    await callTool(token, 'get_issue', { issue_key: 'BIG-1' });
    await waitForItems(token, { tool: 'get_issue' }, 3);
    await waitForItems(token, { tool: 'install_integration' }, 1);
    const keys = Object.values(JSON.parse(env.CREDENTIALS_KEYS) as Record<string, string>);
    const secrets = [JIRA_TOKEN, btoa(`me@acme.test:${JIRA_TOKEN}`), env.MCP_SIGNING_KEY, ...keys, token];
    const { results } = await env.AUTH_DB.prepare('select * from run_history_items where organization_id = ?')
      .bind(org.id)
      .all();
    expect(results.length).toBeGreaterThanOrEqual(4);
    const stored = [JSON.stringify(results)];
    const listed = await env.RUN_HISTORY.list({ prefix: `run-history/${org.id}/` });
    expect(listed.objects.length).toBeGreaterThanOrEqual(1);
    for (const o of listed.objects) stored.push(await (await env.RUN_HISTORY.get(o.key))!.text());
    for (const text of stored) for (const secret of secrets) expect(text).not.toContain(secret);
    expect(stored.join('')).toContain('[redacted]');
  });
  it('refuses a tool result over 900 KB with a tool error that points at the history, which holds the whole body', async () => {
    const { token } = await seedTenant('rh-huge-result');
    // A template tool without a response mapping answers with the upstream body as it came: 1 MB here.
    const template = {
      slug: 'raw-jira',
      name: 'Raw Jira',
      description: 'Issues as Jira answers them',
      docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/intro/',
      baseUrl: `https://${SITE}`,
      auth: { type: 'api_key', in: 'header', name: 'X-Api-Key', value: 'api_key' },
      credentials: [{ name: 'api_key', description: 'API key' }],
      settings: [],
      tools: [
        {
          name: 'get_raw_issue',
          title: 'Raw issue',
          description: 'One issue, unmapped',
          docsUrl: 'https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/',
          method: 'GET',
          path: '/rest/api/3/issue/{args.key}',
          inputSchema: { type: 'object', properties: { key: { type: 'string' } }, required: ['key'] },
        },
      ],
    };
    const created = await callTool(token, 'create_integration', { template });
    expect(created.isError, created.text).toBe(false);
    const installed = await callTool(token, 'install_integration', {
      template: 'raw-jira',
      credentials: { api_key: 'raw-jira-api-key-0001' },
    });
    expect(installed.isError, installed.text).toBe(false);
    const huge = await callTool(token, 'get_raw_issue', { key: 'HUGE-1' });
    expect(huge.isError).toBe(true);
    expect(huge.text).toMatch(/get_raw_issue answered \d+ KB, more than the 900 KB a tool result may carry/);
    const [item] = await waitForItems(token, { tool: 'get_raw_issue' }, 1);
    expect(item).toMatchObject({ status: 'error', reason: 'result_too_large' });
    const found = await callTool(token, 'get_run_history_item', { id: item!.id, search: 'zzzzzzzzzz' });
    expect((found.json as { matches: unknown[] }).matches.length).toBeGreaterThan(0);
    // The API key went in a header named X-Api-Key, and was pasted at install: neither is stored.
    const { results } = await env.AUTH_DB.prepare("select * from run_history_items where tool = 'get_raw_issue'").all();
    const stored = JSON.stringify(results) + (await (await env.RUN_HISTORY.get(String(results[0]!.body_key)))!.text());
    expect(stored).not.toContain('raw-jira-api-key-0001');
  });

  it('joins a call to a session’s trace only for a session of the installation it ran on, in the caller’s workspace', async () => {
    const { token, org, tenant } = await seedTenant('rh-session-trace', 'MEMBER');
    const other = await createWorkspace(db, { organizationId: org.id }, { slug: 'other', name: 'Other' });
    const github = (workspaceId: string | null, title: string) =>
      createInstallation(
        db,
        { organizationId: org.id },
        {
          kind: 'provider',
          source: 'github',
          title,
          scope: workspaceId ? 'local' : 'global',
          workspaceId,
          settings: {},
          credentials: 'jwe',
          createdBy: 'u',
        },
      );
    const mine = await github(null, 'GitHub Global');
    const theirs = await github(other.id, 'GitHub Other');
    const session = (installationId: string, workspaceId: string | null, thread: string) =>
      appendSessionDispatch(db, tenant, {
        dispatchId: `github:${installationId}:${thread}`,
        organizationId: org.id,
        workspaceId,
        installationId,
        provider: 'github',
        threadKey: thread,
        title: 't',
        publication: null,
        closesThread: false,
        event: { name: 'issues.opened', actor: 'a', summary: 's', data: {} },
      });
    const own = await session(mine.id, null, 'o/r#1');
    const foreign = await session(theirs.id, other.id, 'o/r#2');
    // The foreign session names another workspace's installation: the routed installation is `mine`.
    await callTool(token, 'mcp_github_comment_on_issue', {
      repository: 'o/r',
      number: 1,
      body: 'x',
      _session: own.sessionId,
    });
    await callTool(token, 'mcp_github_comment_on_issue', {
      repository: 'o/r',
      number: 2,
      body: 'x',
      _session: foreign.sessionId,
    });
    // A core tool given `_session` joins nothing either.
    await callTool(token, 'get_my_profile', { _session: foreign.sessionId });
    const items = (await waitForItems(token, {}, 3)) as (Item & { session: string | null })[];
    const calls = items.filter((i) => i.tool === 'mcp_github_comment_on_issue');
    expect(calls).toHaveLength(2);
    const [toForeign, toOwn] = calls; // newest first
    expect(toOwn).toMatchObject({ session: own.sessionId, trace: await traceIdForThread(mine.id, 'o/r#1') });
    expect(toForeign!.session).toBeNull();
    expect(toForeign!.trace).not.toBe(await traceIdForThread(theirs.id, 'o/r#2'));
    expect(items.find((i) => i.tool === 'get_my_profile')!.session).toBeNull();
  });

  it('hides items past their expiry or the organization’s current retention before the purge runs', async () => {
    const { token, org } = await seedTenant('rh-expired');
    await callTool(token, 'get_my_profile', {});
    await callTool(token, 'get_workspace_info', {});
    await waitForItems(token, {}, 2);
    await env.AUTH_DB.prepare(
      "update run_history_items set expires_at = 1 where organization_id = ? and tool = 'get_my_profile'",
    )
      .bind(org.id)
      .run();
    const left = (await callTool(token, 'search_run_history', {})).json as { items: Item[] };
    expect(left.items.map((i) => i.tool)).toEqual(['get_workspace_info']);
    // Retention 0: nothing is shown at once, whatever is still stored.
    await callTool(token, 'update_mcp_settings', { run_history_retention_days: 0 });
    expect(((await callTool(token, 'search_run_history', {})).json as { items: Item[] }).items).toEqual([]);
  });
  it('writes behind in one flush per window, and bounds what one isolate holds', async () => {
    const { org } = await seedTenant('rh-write-behind');
    const item = (i: number) => ({
      organizationId: org.id,
      workspaceId: null,
      kind: 'tool_call' as const,
      status: 'ok' as const,
      startedAt: Date.now(),
      durationMs: 1,
      actorType: 'api_token' as const,
      actorId: 't',
      userId: 'u',
      installationId: null,
      provider: null,
      tool: `t${i}`,
      sessionId: null,
      traceId: 'c'.repeat(32),
      summary: `item ${i}`,
      reason: null,
      detail: null,
    });
    const count = async () =>
      (await env.AUTH_DB.prepare('select count(*) as n from run_history_items where organization_id = ?')
        .bind(org.id)
        .first<{ n: number }>())!.n;
    // The buffer is per D1 binding object: a wrapper of our own keeps this test's buffer apart.
    const d1 = Object.create(env.AUTH_DB) as D1Database;
    const flushes: Promise<unknown>[] = [];
    for (let i = 0; i < 120; i++) recordLater(d1, db, env.RUN_HISTORY, item(i), (p) => flushes.push(p));
    expect(flushes).toHaveLength(1);
    await Promise.all(flushes);
    expect(await count()).toBe(120);
    recordLater(d1, db, env.RUN_HISTORY, item(120), (p) => flushes.push(p));
    expect(flushes).toHaveLength(2);
    await Promise.all(flushes);
    expect(await count()).toBe(121);

    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    for (let i = 0; i < MAX_BUFFERED_ITEMS + 100; i++)
      recordLater(d1, db, env.RUN_HISTORY, item(i), (p) => flushes.push(p));
    await Promise.all(flushes);
    spy.mockRestore();
    expect(await count()).toBe(121 + MAX_BUFFERED_ITEMS);
    expect(lines.filter((l) => l.includes('run history buffer full')).length).toBe(100);
  });
});
