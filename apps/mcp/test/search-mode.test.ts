/**
 * Search mode for large catalogs (call-tool.ts, discovery-tools.ts): tools/list shows a few core tools plus
 * search_tools and call_tool; search_tools ranks what the caller may call; call_tool runs a tool with exactly the
 * checks and recording of a direct call. The workspace setting, the automatic switch, and both protocol eras.
 */
import { createApiToken, upsertMember } from '@gatehouse/integrations-adapters-cf';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { missingScopes } from '../src/mcp/scope-policy.js';
import { SEARCH_MODE_THRESHOLD } from '../src/tools/call-tool.js';
import { callTool, contactTool, crm, db, listToolNames, post, rpc, seedTenant } from './helpers.js';
import { fakeHosts, installVendorFakes } from './vendor-fakes.js';

const upstream: string[] = [];

beforeAll(() => {
  installVendorFakes();
  fakeHosts.set('crm.search.test', (req) => {
    const url = new URL(req.url);
    upstream.push(url.pathname);
    return Response.json({ id: url.pathname.split('/').at(-1), name: 'Ada' });
  });
});
afterEach(() => {
  upstream.length = 0;
});

const crmTools = [
  contactTool('get_contact'),
  { ...contactTool('list_deals'), description: 'List the open deals of a contact' },
];

async function workspaceWithCrm(slug: string) {
  const t = await seedTenant(slug);
  await callTool(t.token, 'create_integration', { template: crm(crmTools) });
  const installed = await callTool(t.token, 'install_integration', {
    template: 'acme-crm',
    credentials: { api_key: 'crm-key' },
    settings: { base_url: 'https://crm.search.test' },
  });
  expect(installed.isError, installed.text).toBe(false);
  return t;
}

async function searchMode(token: string) {
  const set = await callTool(token, 'update_mcp_settings', { tool_discovery: 'search' });
  expect(set.json).toMatchObject({ tool_discovery: 'search' });
}

describe('search mode', () => {
  it('lists every tool by default, and in search mode the essentials, search_tools and call_tool', async () => {
    const { token } = await workspaceWithCrm('search-list');
    const listed = await listToolNames(token);
    expect(listed).toEqual(expect.arrayContaining(['get_contact', 'list_deals', 'update_integration']));
    expect(listed).not.toContain('call_tool');
    expect(listed).not.toContain('search_tools');

    await searchMode(token);
    const search = await listToolNames(token);
    expect(search).toEqual([
      'list_integration_catalog',
      'list_installed_integrations',
      'get_my_profile',
      'get_workspace_info',
      'search_knowledge',
      'search_tools',
      'call_tool',
    ]);
    // A 2026-07-28 client, stateless, gets the same list.
    const modern = await post(
      token,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/list',
        params: {
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    );
    const body = (await modern.json()) as { result: { tools: { name: string }[] } };
    expect(body.result.tools.map((t) => t.name)).toEqual(search);
  });

  it('finds integration tools by their text and by the integration that provides them, with full descriptors', async () => {
    const { token } = await workspaceWithCrm('search-find');
    await searchMode(token);
    const deals = await callTool(token, 'search_tools', { query: 'open deals' });
    // Mostly JSON Schemas: sent without indentation (fewer bytes and tokens for the model).
    expect(deals.text).not.toContain('\n');
    expect(deals.json.tools[0]).toMatchObject({
      name: 'list_deals',
      description: 'List the open deals of a contact',
      inputSchema: { type: 'object', required: ['id'] },
    });
    const byVendor = await callTool(token, 'search_tools', { query: 'crm', limit: 5 });
    expect(byVendor.json.tools.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['get_contact', 'list_deals']),
    );
    // Deterministic: the same query, the same answer.
    expect((await callTool(token, 'search_tools', { query: 'crm', limit: 5 })).json).toEqual(byVendor.json);
    // Core tools search mode does not list are found too.
    const builder = await callTool(token, 'search_tools', { query: 'update integration template' });
    expect(builder.json.tools.map((t: { name: string }) => t.name)).toContain('update_integration');
  });

  it('adds _integration to a found tool that several installations provide', async () => {
    const { token } = await workspaceWithCrm('search-two');
    await callTool(token, 'install_integration', {
      template: 'acme-crm',
      title: 'CRM Europe',
      credentials: { api_key: 'crm-key-eu' },
      settings: { base_url: 'https://crm.search.test' },
    });
    await searchMode(token);
    const found = await callTool(token, 'search_tools', { query: 'get contact' });
    const tool = found.json.tools.find((t: { name: string }) => t.name === 'get_contact');
    expect(tool.inputSchema.properties._integration.enum).toEqual(['acme-crm', 'crm-europe']);
  });

  it('does not show a member the tools their role cannot call', async () => {
    const { token, org, tenant } = await workspaceWithCrm('search-member');
    await searchMode(token);
    const user = await upsertMember(db, { organizationId: org.id }, { email: 'm@search.test', role: 'MEMBER' });
    const member = await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'm' });
    const found = await callTool(member.token, 'search_tools', { query: 'integration', limit: 50 });
    const names = found.json.tools.map((t: { name: string }) => t.name);
    expect(names).toContain('install_integration');
    expect(names).not.toContain('update_integration');
    expect(names).not.toContain('delete_integration');
    expect(names).not.toContain('search_tools');
  });
});

describe('call_tool', () => {
  it('runs an integration tool as a direct call would, and records it under that tool', async () => {
    const { token } = await workspaceWithCrm('call-run');
    await searchMode(token);
    const direct = await callTool(token, 'get_contact', { id: 'c1' });
    const viaCall = await callTool(token, 'call_tool', { name: 'get_contact', arguments: { id: 'c1' } });
    expect(viaCall).toEqual(direct);
    expect(upstream).toEqual(['/v1/contacts/c1', '/v1/contacts/c1']);
    // The same argument validation: nothing reaches the upstream.
    const invalid = await callTool(token, 'call_tool', { name: 'get_contact', arguments: {} });
    expect(invalid).toMatchObject({ isError: true, text: expect.stringMatching(/Invalid arguments for get_contact/) });
    expect(upstream).toHaveLength(2);
    // Recorded as get_contact (the run history's tool), not as call_tool.
    let items: { tool: string }[] = [];
    for (let i = 0; i < 50 && items.length < 3; i++) {
      items = (await callTool(token, 'search_run_history', { tool: 'get_contact' })).json.items;
      if (items.length < 3) await new Promise((r) => setTimeout(r, 50));
    }
    expect(items).toHaveLength(3);
    expect((await callTool(token, 'search_run_history', { tool: 'call_tool' })).json.items).toEqual([]);
  });

  it('keeps the role check of the tool it runs', async () => {
    const { org, tenant } = await workspaceWithCrm('call-role');
    const user = await upsertMember(db, { organizationId: org.id }, { email: 'm@call.test', role: 'MEMBER' });
    const member = await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'm' });
    const out = await callTool(member.token, 'call_tool', {
      name: 'update_mcp_settings',
      arguments: { tool_discovery: 'list' },
    });
    expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/requires the ADMIN role/) });
  });

  it('needs the scope of the tool it runs (403 insufficient_scope before anything runs)', () => {
    const call = (name: string) => ({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'call_tool', arguments: { name, arguments: {} } },
    });
    expect(missingScopes(call('get_contact'), ['mcp:read'])).toEqual(['mcp:execute']);
    expect(missingScopes(call('update_mcp_settings'), ['mcp:read', 'mcp:execute'])).toEqual(['mcp:admin']);
    expect(missingScopes(call('get_my_profile'), ['mcp:read'])).toEqual([]);
  });

  it('refuses a malformed call, call_tool inside call_tool, and an unknown tool with −32602', async () => {
    const { token } = await workspaceWithCrm('call-bad');
    for (const args of [{}, { name: 'call_tool', arguments: { name: 'get_contact' } }, { name: 'no_such_tool' }]) {
      const { body } = await rpc(token, 'tools/call', { name: 'call_tool', arguments: args });
      expect(body?.error?.code).toBe(-32602);
    }
    expect(upstream).toEqual([]);
  });
});

describe('the automatic switch', () => {
  it(`turns search mode on above ${SEARCH_MODE_THRESHOLD} listed tools in an auto workspace`, async () => {
    const { token } = await seedTenant('search-auto');
    const many = Array.from({ length: SEARCH_MODE_THRESHOLD }, (_, i) => contactTool(`get_record_${i}`));
    const created = await callTool(token, 'create_integration', { template: crm(many) });
    expect(created.isError, created.text).toBe(false);
    expect(await listToolNames(token)).not.toContain('call_tool');
    await callTool(token, 'install_integration', {
      template: 'acme-crm',
      credentials: { api_key: 'k' },
      settings: { base_url: 'https://crm.search.test' },
    });
    const listed = await listToolNames(token);
    expect(listed).toContain('call_tool');
    expect(listed).not.toContain('get_record_0');
    // The workspace can insist on the full list.
    await callTool(token, 'update_mcp_settings', { tool_discovery: 'list' });
    expect(await listToolNames(token)).toContain('get_record_0');
  });
});
