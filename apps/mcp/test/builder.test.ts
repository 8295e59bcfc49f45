import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  createApiToken,
  createWorkspace,
  findOrgTemplate,
  listTemplateVersions,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import { callTool, contactTool, crm, db, initialize, listToolNames, seedTenant } from './helpers.js';

async function member(org: { id: string }, tenant: { organizationId: string; workspaceId: string }) {
  const user = await upsertMember(
    db,
    { organizationId: org.id },
    { email: `member-${crypto.randomUUID()}@x.test`, role: 'MEMBER' },
  );
  return (await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'm' })).token;
}

async function openStream(token: string) {
  const { sessionId } = await initialize(token);
  const res = await SELF.fetch('https://gatehouse.test/mcp', {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'mcp-session-id': sessionId },
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  /** Resolves once `count` tools/list_changed notifications arrived in total. */
  const changes = async (count: number) => {
    while ((buffered.match(/notifications\/tools\/list_changed/g) ?? []).length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
    }
    return (buffered.match(/notifications\/tools\/list_changed/g) ?? []).length;
  };
  return { changes, close: () => reader.cancel() };
}

describe('integration builder', () => {
  it('tells connected clients when an update or an uninstall changes their tools', async () => {
    const { token } = await seedTenant('builder-notify');
    const stream = await openStream(token);
    await callTool(token, 'create_integration', { template: crm() });
    expect(await stream.changes(1)).toBe(1);
    await callTool(token, 'install_integration', {
      template: 'acme-crm',
      credentials: { api_key: 'k' },
      settings: { base_url: 'https://crm.acme.test' },
    });
    expect(await stream.changes(2)).toBe(2);
    await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      template: crm([contactTool('get_contact'), contactTool('find_contact')]),
    });
    expect(await stream.changes(3)).toBe(3);
    await callTool(token, 'uninstall_integration', { integration: 'acme-crm' });
    expect(await stream.changes(4)).toBe(4);
    await stream.close();
  });

  it('installs Local into another workspace of the organization when asked (product_id in the docs)', async () => {
    const { token, org, user } = await seedTenant('builder-workspace');
    const other = await createWorkspace(db, { organizationId: org.id }, { slug: 'web', name: 'Web' });
    const { token: webToken } = await createApiToken(
      db,
      { organizationId: org.id, workspaceId: other.id },
      { userId: user.id, role: 'ADMIN', name: 'web' },
    );
    const out = await callTool(token, 'install_integration', {
      template: 'zendesk',
      workspace: 'web',
      credentials: { email: 'a@b.c', api_token: 't' },
      settings: { instance_url: 'https://acme.zendesk.com' },
    });
    expect(out.json.installed).toMatchObject({ scope: 'Local', workspace: 'web' });
    expect(await listToolNames(webToken)).toContain('list_tickets');
    expect(await listToolNames(token)).not.toContain('list_tickets');
    expect(
      (
        await callTool(token, 'install_integration', {
          template: 'zendesk',
          workspace: 'nope',
          credentials: {},
          settings: {},
        })
      ).text,
    ).toMatch(/No workspace "nope"/);
  });

  it('lets a MEMBER install Local into their own workspace only: Global and another workspace need an ADMIN', async () => {
    const { token: admin, org, tenant } = await seedTenant('builder-member-install');
    await createWorkspace(db, { organizationId: org.id }, { slug: 'web', name: 'Web' });
    await callTool(admin, 'create_integration', { template: crm() });
    const token = await member(org, tenant);
    const install = (extra: Record<string, unknown>) =>
      callTool(token, 'install_integration', {
        template: 'acme-crm',
        credentials: { api_key: 'k' },
        settings: { base_url: 'https://crm.acme.test' },
        ...extra,
      });
    const global = await install({ scope: 'Global', title: 'CRM Global' });
    expect(global).toMatchObject({
      isError: true,
      text: expect.stringMatching(/Global installation .* needs an ADMIN/),
    });
    const elsewhere = await install({ workspace: 'web', title: 'CRM Web' });
    expect(elsewhere).toMatchObject({ isError: true, text: expect.stringMatching(/another workspace needs an ADMIN/) });
    const own = await install({ title: 'CRM Mine' });
    expect(own.isError, own.text).toBe(false);
    expect(own.json.installed).toMatchObject({ scope: 'Local' });
    const titles = (
      await db.$client
        .prepare('select title from installations where organization_id = ?')
        .bind(org.id)
        .all<{ title: string }>()
    ).results.map((r) => r.title);
    expect(titles).toEqual(['CRM Mine']);
    // An ADMIN may do both.
    expect(
      (
        await callTool(admin, 'install_integration', {
          template: 'acme-crm',
          credentials: { api_key: 'k' },
          settings: { base_url: 'https://crm.acme.test' },
          scope: 'Global',
          title: 'CRM All',
        })
      ).isError,
    ).toBe(false);
  });

  it('inspects, adds one tool by patch, lists the versions with their diffs, rolls back, and searches', async () => {
    const { token, org, tenant } = await seedTenant('builder-patch');
    await callTool(token, 'create_integration', { template: crm() });
    await callTool(token, 'install_integration', {
      template: 'acme-crm',
      credentials: { api_key: 'k' },
      settings: { base_url: 'https://crm.acme.test' },
    });
    // The builder's view: the complete definition and its version (members get the install view only).
    const got = await callTool(token, 'get_integration', { template: 'acme-crm' });
    expect(got.json).toMatchObject({ version: 1, definition: { baseUrl: '{+settings.base_url}' } });
    expect(got.json.definition.tools[0]).toMatchObject({ path: '/v1/contacts/{args.id}', method: 'GET' });
    const asMember = await callTool(await member(org, tenant), 'get_integration', { template: 'acme-crm' });
    expect(asMember.json).not.toHaveProperty('definition');

    const added = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      patch: { op: 'add_tool', tool: contactTool('find_contact') },
    });
    expect(added.isError, added.text).toBe(false);
    expect(added.json).toMatchObject({ updated: { version: 2 }, changes: { tools_added: ['find_contact'] } });
    expect(await listToolNames(token)).toEqual(expect.arrayContaining(['get_contact', 'find_contact']));
    // A patch is validated as a whole template: a vendor-prefixed name or a duplicate is refused, nothing stored.
    const bad = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      patch: { op: 'add_tool', tool: contactTool('find_contact') },
    });
    expect(bad).toMatchObject({ isError: true, text: expect.stringMatching(/exists already; use replace_tool/) });
    const both = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      template: crm(),
      patch: { op: 'remove_tool', name: 'find_contact' },
    });
    expect(both).toMatchObject({ isError: true, text: expect.stringMatching(/either template .* or patch/) });
    const moved = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      patch: { op: 'set', field: 'description', value: 'Acme CRM: contacts and companies' },
    });
    expect(moved.json).toMatchObject({ updated: { version: 3 } });

    const versions = await callTool(token, 'list_integration_versions', { slug: 'acme-crm' });
    expect(versions.json.current_version).toBe(3);
    expect(versions.json.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    expect(versions.json.versions[1].changes).toMatchObject({ tools_added: ['find_contact'] });

    const rolled = await callTool(token, 'rollback_integration', { slug: 'acme-crm', version: 1 });
    expect(rolled.json).toMatchObject({
      restored_version: 1,
      updated: { version: 4, previous_version: 3 },
      changes: { tools_removed: ['find_contact'], breaking: true },
    });
    expect(await listToolNames(token)).not.toContain('find_contact');
    expect((await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm'))?.version).toBe(4);

    const found = await callTool(token, 'search_integrations', { pattern: '/v1/contacts', template: 'acme-crm' });
    expect(found.json.results).toEqual([
      { template: 'acme-crm', matches: [{ path: 'tools[0].path', excerpt: '/v1/contacts/{args.id}' }] },
    ]);
    const byRegex = await callTool(token, 'search_integrations', { pattern: '^\\{\\+settings\\.', regex: true });
    expect(byRegex.json.results.map((r: { template: string }) => r.template)).toContain('acme-crm');
    const lookaround = await callTool(token, 'search_integrations', { pattern: 'a(?=b)', regex: true });
    expect(lookaround).toMatchObject({ isError: true, text: expect.stringMatching(/not an RE2 regular expression/) });
  });

  it('is for ADMIN and up: hidden from and refused to MEMBER', async () => {
    const { org, tenant } = await seedTenant('builder-roles');
    const token = await member(org, tenant);
    const names = await listToolNames(token);
    for (const n of ['create_integration', 'update_integration', 'delete_integration']) expect(names).not.toContain(n);
    const out = await callTool(token, 'create_integration', { template: crm() });
    expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/requires the ADMIN role/) });
    expect(await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm')).toBeNull();
  });

  it('refuses an invalid template naming each field, and stores nothing', async () => {
    const { token, org } = await seedTenant('builder-invalid');
    const out = await callTool(token, 'create_integration', {
      template: crm([contactTool('acme_get_contact'), { ...contactTool('get_my_profile'), path: '/v1/{args.nope}' }]),
    });
    expect(out.isError).toBe(true);
    expect(out.text).toMatch(/tools\[0\] \(acme_get_contact\)\.name: use a generic name/);
    expect(out.text).toMatch(/tools\[1\] \(get_my_profile\)\.name: "get_my_profile" is a core tool/);
    expect(out.text).toMatch(/tools\[1\] \(get_my_profile\)\.path: variable \{args\.nope\}/);
    const shape = await callTool(token, 'create_integration', { template: { ...crm(), docsUrl: 'nope' } });
    expect(shape).toMatchObject({ isError: true, text: expect.stringMatching(/template\.docsUrl/) });
    expect(await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm')).toBeNull();
  });

  it('creates, installs, updates with a change report, records breaking changes, and deletes', async () => {
    const { token, org } = await seedTenant('builder-flow');
    expect((await callTool(token, 'create_integration', { template: crm() })).json.created).toEqual({
      slug: 'acme-crm',
      version: 1,
      tools: ['get_contact'],
    });
    expect((await callTool(token, 'create_integration', { template: crm() })).text).toMatch(/already in the catalog/);
    expect(
      (await callTool(token, 'list_integration_catalog', {})).json.templates.map((t: { slug: string }) => t.slug),
    ).toContain('acme-crm');

    await callTool(token, 'install_integration', {
      template: 'acme-crm',
      credentials: { api_key: 'k' },
      settings: { base_url: 'https://crm.acme.test' },
    });
    expect(await listToolNames(token)).toContain('get_contact');

    const added = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      template: crm([contactTool('get_contact'), contactTool('find_contact')]),
    });
    expect(added.json).toMatchObject({
      updated: { version: 2 },
      changes: { tools_added: ['find_contact'], breaking: false },
      installations_affected: ['acme-crm'],
    });
    expect(await listToolNames(token)).toContain('find_contact');

    const breaking = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      template: crm([contactTool('get_contact', ['id', 'region'])]),
    });
    expect(breaking.json.changes).toMatchObject({
      tools_removed: ['find_contact'],
      breaking: true,
      breaking_reasons: ['tool find_contact removed', 'tool get_contact: required argument region added'],
    });
    expect(breaking.json.warning).toMatch(/Breaking change recorded/);
    expect(await listToolNames(token)).not.toContain('find_contact');
    const tpl = await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm');
    const versions = await listTemplateVersions(db, { organizationId: org.id }, tpl!.id);
    expect(versions.map((v) => [v.version, v.breaking])).toEqual([
      [1, false],
      [2, false],
      [3, true],
    ]);

    const renamed = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      template: { ...crm(), slug: 'acme-crm-2' },
    });
    expect(renamed.text).toMatch(/template\.slug: must stay "acme-crm"/);

    const refused = await callTool(token, 'delete_integration', { slug: 'acme-crm' });
    expect(refused.text).toMatch(/installed as "acme-crm"; uninstall/);
    expect((await callTool(token, 'uninstall_integration', { integration: 'acme-crm' })).json.uninstalled.handle).toBe(
      'acme-crm',
    );
    expect(await listToolNames(token)).not.toContain('get_contact');
    expect((await callTool(token, 'delete_integration', { slug: 'acme-crm' })).json).toEqual({ deleted: 'acme-crm' });
    expect(await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm')).toBeNull();
  });

  it('refuses to change or delete shipped templates', async () => {
    const { token } = await seedTenant('builder-shipped');
    expect((await callTool(token, 'delete_integration', { slug: 'jira-cloud' })).text).toMatch(/shipped template/);
  });

  it('lets only the installer or an ADMIN uninstall', async () => {
    const { token: admin, org, tenant } = await seedTenant('builder-uninstall');
    const token = await member(org, tenant);
    await callTool(admin, 'install_integration', {
      template: 'zendesk',
      credentials: { email: 'a@b.c', api_token: 't' },
      settings: { instance_url: 'https://acme.zendesk.com' },
    });
    expect((await callTool(token, 'uninstall_integration', { integration: 'zendesk' })).text).toMatch(
      /Only the person who installed/,
    );
    expect(await listToolNames(token)).toContain('list_tickets');
    const row = await env.AUTH_DB.prepare('select count(*) as n from installations where organization_id = ?')
      .bind(org.id)
      .first<{ n: number }>();
    expect(row!.n).toBe(1);
  });
});
