/**
 * A template change never redirects credentials silently (issue: an ADMIN, or an OAuth client granted mcp:admin,
 * re-points a template at their own host and receives every installation's credentials on the next call): an
 * installation keeps running its version when a new one changes where or how credentials go, until an ADMIN reviews
 * and approves it; other changes reach it at once.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createApiToken,
  createInstallation,
  deleteOrgTemplate,
  findOrgTemplate,
  listTemplateInstallations,
  listUpdateApprovals,
  TemplateDeletedError,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import { callTool, crm, contactTool, db, listToolNames, seedTenant } from './helpers.js';
import { fakeHosts, GOOD_TOKEN, installVendorFakes } from './vendor-fakes.js';

/** Requests each fake host received, with the Authorization header they carried. */
const seen: { host: string; path: string; auth: string | null }[] = [];

beforeAll(() => {
  installVendorFakes();
  for (const host of ['crm.acme.test', 'crm.attacker.test'])
    fakeHosts.set(host, (req) => {
      const url = new URL(req.url);
      seen.push({ host, path: url.pathname, auth: req.headers.get('authorization') });
      return Response.json({ id: url.pathname.split('/').at(-1), host });
    });
});
afterEach(() => {
  seen.length = 0;
});

async function setup(slug: string) {
  const t = await seedTenant(slug);
  await callTool(t.token, 'create_integration', { template: crm() });
  const installed = await callTool(t.token, 'install_integration', {
    template: 'acme-crm',
    credentials: { api_key: 'victim-secret-key' },
    settings: { base_url: 'https://crm.acme.test' },
  });
  expect(installed.isError, installed.text).toBe(false);
  return t;
}

describe('template versions pinned against credential redirection', () => {
  it('keeps calling the old origin after a baseUrl change until an ADMIN approves, then the new one', async () => {
    const { token } = await setup('pins-redirect');
    const redirected = { ...crm(), baseUrl: 'https://crm.attacker.test' };
    const updated = await callTool(token, 'update_integration', { slug: 'acme-crm', template: redirected });
    expect(updated.json).toMatchObject({
      updated: { version: 2 },
      installations_updated: [],
      installations_awaiting_approval: [
        { integration: 'acme-crm', reasons: [expect.stringMatching(/^baseUrl changed/)] },
      ],
    });
    const call = await callTool(token, 'get_contact', { id: 'c1' });
    expect(call.isError, call.text).toBe(false);
    expect(seen).toEqual([{ host: 'crm.acme.test', path: '/v1/contacts/c1', auth: 'Bearer victim-secret-key' }]);
    const listed = await callTool(token, 'list_installed_integrations', {});
    expect(listed.json.installations[0]).toMatchObject({ template_version: 1, pending_update: { version: 2 } });

    // The review shows what changes; approving the version shown moves the installation, and it is recorded.
    const review = await callTool(token, 'approve_integration_update', { integration: 'acme-crm' });
    expect(review.json.review).toMatchObject({
      from_version: 1,
      to_version: 2,
      reasons: [expect.stringMatching(/crm\.attacker\.test/)],
    });
    expect((await callTool(token, 'approve_integration_update', { integration: 'acme-crm', version: 1 })).isError).toBe(
      true,
    );
    const approved = await callTool(token, 'approve_integration_update', { integration: 'acme-crm', version: 2 });
    expect(approved.isError, approved.text).toBe(false);
    seen.length = 0;
    await callTool(token, 'get_contact', { id: 'c2' });
    expect(seen.map((s) => s.host)).toEqual(['crm.attacker.test']);
    const inst = (await callTool(token, 'list_installed_integrations', {})).json.installations[0];
    expect(inst).toMatchObject({ template_version: 2 });
    expect(inst).not.toHaveProperty('pending_update');
    const id = (await db.$client
      .prepare("select id from installations where handle = 'acme-crm' and template_version = 2")
      .first<{ id: string }>())!.id;
    const approvals = await listUpdateApprovals(
      db,
      {
        organizationId: (await db.$client
          .prepare('select organization_id as o from installations where id = ?')
          .bind(id)
          .first<{ o: string }>())!.o,
      },
      id,
    );
    expect(approvals).toMatchObject([
      { fromVersion: 1, toVersion: 2, reasons: [expect.stringMatching(/^baseUrl changed/)] },
    ]);
  });

  it('also holds back an auth change, while a new tool reaches the installation at once', async () => {
    const { token } = await setup('pins-auth');
    const added = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      patch: { op: 'add_tool', tool: contactTool('find_contact') },
    });
    expect(added.json).toMatchObject({ installations_updated: ['acme-crm'] });
    expect(await listToolNames(token)).toContain('find_contact');
    // Credentials moved into a query parameter (visible in logs and to whoever receives the URL): held back.
    const auth = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      patch: { op: 'set', field: 'auth', value: { type: 'api_key', in: 'query', name: 'key', value: 'api_key' } },
    });
    expect(auth.json.installations_awaiting_approval).toMatchObject([
      { integration: 'acme-crm', reasons: [expect.stringMatching(/^auth changed/)] },
    ]);
    await callTool(token, 'get_contact', { id: 'c3' });
    expect(seen.at(-1)).toEqual({ host: 'crm.acme.test', path: '/v1/contacts/c3', auth: 'Bearer victim-secret-key' });
    // The installation runs version 2 (with find_contact), not the unapproved 3.
    expect(await listToolNames(token)).toContain('find_contact');
  });

  it('lets only an ADMIN approve', async () => {
    const { token, org, tenant } = await setup('pins-member');
    await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      template: { ...crm(), baseUrl: 'https://crm.attacker.test' },
    });
    const user = await upsertMember(db, { organizationId: org.id }, { email: 'm@pins.test', role: 'MEMBER' });
    const { token: memberToken } = await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'm' });
    const refused = await callTool(memberToken, 'approve_integration_update', { integration: 'acme-crm', version: 2 });
    expect(refused).toMatchObject({ isError: true, text: expect.stringMatching(/requires the ADMIN role/) });
    await callTool(memberToken, 'get_contact', { id: 'c4' });
    expect(seen.at(-1)?.host).toBe('crm.acme.test');
  });
});

describe('new credentials for a pinned installation', () => {
  it('are checked against and sent to the pinned version, not an unapproved one that moved the host', async () => {
    const { token } = await setup('pins-credentials');
    const moved = await callTool(token, 'update_integration', {
      slug: 'acme-crm',
      template: { ...crm(), baseUrl: 'https://crm.attacker.test', validation: { method: 'GET', path: '/v1/me' } },
    });
    expect(moved.isError, moved.text).toBe(false);
    seen.length = 0;
    const updated = await callTool(token, 'update_integration_credentials', {
      integration: 'acme-crm',
      credentials: { api_key: 'rotated-secret-key' },
    });
    expect(updated.isError, updated.text).toBe(false);
    expect(seen.filter((s) => s.host === 'crm.attacker.test')).toEqual([]);
    await callTool(token, 'get_contact', { id: 'c9' });
    expect(seen.at(-1)).toMatchObject({ host: 'crm.acme.test', auth: 'Bearer rotated-secret-key' });
  });
});

describe('vendor host patterns', () => {
  beforeAll(() => {
    fakeHosts.set('jira.attacker.test', (req) => {
      const url = new URL(req.url);
      seen.push({ host: 'jira.attacker.test', path: url.pathname, auth: req.headers.get('authorization') });
      return Response.json({ accountId: 'attacker' });
    });
  });

  it('refuses a Jira site outside *.atlassian.net at install, before the credentials check is sent', async () => {
    const { token } = await seedTenant('hosts-install', 'MEMBER');
    const out = await callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: { email: 'me@acme.test', api_token: 'victim-jira-token' },
      settings: { site_url: 'https://jira.attacker.test' },
    });
    expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/runs on \*\.atlassian\.net/) });
    expect(out.text).not.toContain('victim-jira-token');
    expect(seen).toEqual([]);
    const shown = await callTool(token, 'get_integration', { template: 'jira-cloud' });
    expect(JSON.parse(shown.text).upstream_hosts).toEqual(['*.atlassian.net', '*.jira.com']);
  });

  it('refuses a call whose stored settings point off the vendor (written before the rule), with no request', async () => {
    const { token } = await seedTenant('hosts-call');
    const installed = await callTool(token, 'install_integration', {
      template: 'jira-cloud',
      credentials: { email: 'me@acme.test', api_token: GOOD_TOKEN },
      settings: { site_url: 'https://hosts-call.atlassian.net' },
    });
    expect(installed.isError, installed.text).toBe(false);
    await env.AUTH_DB.prepare('UPDATE installations SET settings = ? WHERE source = ? AND title = ?')
      .bind(JSON.stringify({ site_url: 'https://jira.attacker.test' }), 'jira-cloud', 'Jira Cloud')
      .run();
    const out = await callTool(token, 'get_issue', { issue_key: 'PROJ-1' });
    expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/runs on \*\.atlassian\.net/) });
    expect(seen).toEqual([]);
  });
});

/** What install_integration writes after its checks: a Local installation pinned at version 1 of `templateId`. */
const pinnedInstall = (tenant: { organizationId: string; workspaceId: string }, userId: string, templateId: string) =>
  createInstallation(db, tenant, {
    kind: 'template',
    source: 'acme-crm',
    title: 'Pinned',
    scope: 'local',
    workspaceId: tenant.workspaceId,
    settings: { base_url: 'https://crm.acme.test' },
    credentials: 'jwe',
    createdBy: userId,
    templateVersion: 1,
    templateId,
  });

describe('a template deleted while it is being installed', () => {
  it('refuses the delete once an installation exists, even one that landed after the installed check', async () => {
    const { org, token } = await setup('pins-delete-race');
    const template = await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm');
    // The tool's own check is past (as if the install landed right after it): the delete itself must refuse.
    await expect(deleteOrgTemplate(db, { organizationId: org.id }, template!.id)).rejects.toThrow();
    expect(await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm')).not.toBeNull();
    const viaTool = await callTool(token, 'delete_integration', { slug: 'acme-crm' });
    expect(viaTool).toMatchObject({ isError: true, text: expect.stringMatching(/is installed as "acme-crm"/) });
  });

  it('writes no pinned installation for a template deleted after the install read it', async () => {
    const { org, tenant, user, token } = await seedTenant('pins-install-race');
    await callTool(token, 'create_integration', { template: crm() });
    const template = await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm');
    await deleteOrgTemplate(db, { organizationId: org.id }, template!.id);
    // What install_integration writes after its checks, for the version it read before the delete.
    const install = pinnedInstall(tenant, user.id, template!.id);
    await expect(install).rejects.toBeInstanceOf(TemplateDeletedError);
    expect(await listTemplateInstallations(db, { organizationId: org.id }, 'acme-crm')).toEqual([]);
  });

  it('writes none either when the template was deleted and recreated under its slug meanwhile', async () => {
    const { org, tenant, user, token } = await seedTenant('pins-recreate-race');
    await callTool(token, 'create_integration', { template: crm() });
    const read = await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm');
    // While the install checks the credentials: deleted, recreated at version 1 with another base URL.
    await deleteOrgTemplate(db, { organizationId: org.id }, read!.id);
    await callTool(token, 'create_integration', { template: { ...crm(), baseUrl: 'https://crm.attacker.test' } });
    const install = pinnedInstall(tenant, user.id, read!.id);
    await expect(install).rejects.toBeInstanceOf(TemplateDeletedError);
    expect(await listTemplateInstallations(db, { organizationId: org.id }, 'acme-crm')).toEqual([]);
  });

  it('still lets the organization itself be deleted with its templates and installations', async () => {
    const { org } = await setup('pins-org-delete');
    await env.AUTH_DB.prepare('DELETE FROM organizations WHERE id = ?').bind(org.id).run();
    expect(await listTemplateInstallations(db, { organizationId: org.id }, 'acme-crm')).toEqual([]);
    expect(await findOrgTemplate(db, { organizationId: org.id }, 'acme-crm')).toBeNull();
  });
});
