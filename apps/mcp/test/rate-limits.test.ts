/**
 * Rate limits of integration tool calls (tools/rate-limit.ts, adapters rate-limits.ts): per user (or agent), tool
 * and installation; the installation's limit over the workspace's; exact under concurrency (GCRA in one upsert);
 * a refused call reaches nothing upstream and says when to retry. Across two worker processes: packages/e2e.
 */
import { createApiToken, takeRateToken, upsertMember } from '@gatehouse/integrations-adapters-cf';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { enforceRateLimit, RATE_LIMITED } from '../src/tools/rate-limit.js';
import type { ToolContext } from '../src/tools/tool-types.js';
import { callTool, contactTool, crm, db, rpc, seedTenant } from './helpers.js';
import { fakeHosts, installVendorFakes } from './vendor-fakes.js';

const upstream: string[] = [];
beforeAll(() => {
  installVendorFakes();
  fakeHosts.set('crm.limits.test', (req) => {
    upstream.push(new URL(req.url).pathname);
    return Response.json({ id: 'c1', name: 'Ada' });
  });
});
afterEach(() => {
  upstream.length = 0;
});

async function limitedWorkspace(slug: string) {
  const t = await seedTenant(slug);
  await callTool(t.token, 'create_integration', {
    template: crm([contactTool('get_contact'), contactTool('get_company')]),
  });
  const installed = await callTool(t.token, 'install_integration', {
    template: 'acme-crm',
    credentials: { api_key: 'k' },
    settings: { base_url: 'https://crm.limits.test' },
  });
  expect(installed.isError, installed.text).toBe(false);
  const set = await callTool(t.token, 'update_mcp_settings', { rate_limit: { requests_per_minute: 2, burst: 2 } });
  expect(set.json.rate_limit).toEqual({ requests_per_minute: 2, burst: 2 });
  return t;
}

/** The raw tools/call result (structuredContent included). */
async function rawCall(token: string, name: string, args: Record<string, unknown>) {
  const { body } = await rpc(token, 'tools/call', { name, arguments: args });
  return body!.result as { isError?: boolean; content: { text: string }[]; structuredContent?: any };
}

describe('rate limits', () => {
  it('refuses the call past the burst, with retry_after_seconds and −32029, and nothing reaches upstream', async () => {
    const { token } = await limitedWorkspace('limits-burst');
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
    const refused = await rawCall(token, 'get_contact', { id: 'c1' });
    expect(refused.isError).toBe(true);
    expect(refused.content[0]!.text).toMatch(/Rate limit reached for get_contact.*Try again in \d+ s/);
    expect(refused.structuredContent).toMatchObject({ error: { code: RATE_LIMITED } });
    // Two a minute: the next one is 30 s away.
    expect(refused.structuredContent.retry_after_seconds).toBeGreaterThanOrEqual(29);
    expect(refused.structuredContent.retry_after_seconds).toBeLessThanOrEqual(30);
    expect(upstream).toHaveLength(2);
    // Recorded as a refusal in the run history.
    let items: { status: string; reason: string }[] = [];
    for (let i = 0; i < 50 && !items.some((x) => x.reason === 'rate_limited'); i++) {
      items = (await callTool(token, 'search_run_history', { tool: 'get_contact' })).json.items;
      await new Promise((r) => setTimeout(r, 30));
    }
    expect(items.find((x) => x.reason === 'rate_limited')).toMatchObject({ status: 'refused' });
  });

  it('counts per user and per tool', async () => {
    const { token, org, tenant } = await limitedWorkspace('limits-keys');
    for (let i = 0; i < 2; i++) await callTool(token, 'get_contact', { id: 'c1' });
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(true);
    expect((await callTool(token, 'get_company', { id: 'c1' })).isError).toBe(false);
    const user = await upsertMember(db, { organizationId: org.id }, { email: 'm@limits.test', role: 'MEMBER' });
    const colleague = await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'm' });
    expect((await callTool(colleague.token, 'get_contact', { id: 'c1' })).isError).toBe(false);
  });

  it("applies an installation's own limit over the workspace's, and falls back when it is removed", async () => {
    const { token } = await limitedWorkspace('limits-installation');
    const set = await callTool(token, 'set_integration_rate_limit', {
      integration: 'acme-crm',
      rate_limit: { requests_per_minute: 60, burst: 5 },
    });
    expect(set.json).toMatchObject({ effective: { requests_per_minute: 60, burst: 5 } });
    for (let i = 0; i < 5; i++) expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(true);
    const listed = await callTool(token, 'list_installed_integrations', {});
    expect(listed.json.installations[0].rate_limit).toEqual({ requests_per_minute: 60, burst: 5 });
    const cleared = await callTool(token, 'set_integration_rate_limit', { integration: 'acme-crm', rate_limit: null });
    expect(cleared.json).toMatchObject({ rate_limit: null, effective: { requests_per_minute: 2, burst: 2 } });
  });

  it('starts a tightened limit afresh instead of inheriting the time a looser one let pile up', async () => {
    const { token } = await limitedWorkspace('limits-tightened');
    await callTool(token, 'update_mcp_settings', { rate_limit: { requests_per_minute: 1, burst: 20 } });
    for (let i = 0; i < 20; i++) expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
    // Twenty calls at one a minute: the old bucket is twenty minutes ahead. The new limit counts on its own.
    await callTool(token, 'update_mcp_settings', { rate_limit: { requests_per_minute: 60, burst: 1 } });
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
  });

  it('lets only an ADMIN set limits', async () => {
    const { org, tenant } = await limitedWorkspace('limits-role');
    const user = await upsertMember(db, { organizationId: org.id }, { email: 'r@limits.test', role: 'MEMBER' });
    const member = await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'r' });
    for (const [tool, args] of [
      ['set_integration_rate_limit', { integration: 'acme-crm', rate_limit: null }],
      ['update_mcp_settings', { rate_limit: null }],
    ] as const) {
      const out = await callTool(member.token, tool, args);
      expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/requires the ADMIN role/) });
    }
  });

  it("counts an agent's calls as the agent's, apart from the user who owns it", async () => {
    const { token, user } = await limitedWorkspace('limits-agent');
    const installation = { id: 'installation-of-the-agent-test', title: 'CRM', rateLimit: null } as never;
    const principal = (await callTool(token, 'get_my_profile', {})).json;
    expect(principal.user.id).toBe(user.id);
    const ctxFor = (tokenId: string) =>
      ({
        db,
        principal: {
          organizationId: principal.organization.id,
          userId: user.id,
          tokenId,
          workspaceRateLimit: { requestsPerMinute: 1, burst: 1 },
        },
      }) as unknown as ToolContext;
    await enforceRateLimit(ctxFor('api-token'), installation, 'get_contact');
    await expect(enforceRateLimit(ctxFor('api-token-2'), installation, 'get_contact')).rejects.toThrow(/Rate limit/);
    await enforceRateLimit(ctxFor('agent:a1'), installation, 'get_contact');
    await expect(enforceRateLimit(ctxFor('agent:a1'), installation, 'get_contact')).rejects.toThrow(/Rate limit/);
  });
});

describe('takeRateToken (GCRA)', () => {
  const limit = { requestsPerMinute: 60, burst: 3 };

  it('allows exactly the burst under concurrency, then one per interval', async () => {
    const now = 1_000_000;
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => takeRateToken(db, 'gcra:a', limit, now)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    expect(outcomes.find((o) => !o.ok)).toEqual({ ok: false, retryAfterMs: 1_000 });
    expect(await takeRateToken(db, 'gcra:a', limit, now + 999)).toMatchObject({ ok: false });
    expect(await takeRateToken(db, 'gcra:a', limit, now + 1_000)).toEqual({ ok: true });
    // Idle long enough, the full burst is back (and no more).
    const later = now + 60_000;
    const again = [];
    for (let i = 0; i < 4; i++) again.push(await takeRateToken(db, 'gcra:a', limit, later));
    expect(again.map((o) => o.ok)).toEqual([true, true, true, false]);
  });
});
