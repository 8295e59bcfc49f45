import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sha256Hex, type SessionDispatch } from '@gatehouse/integrations-core';
import {
  appendSessionDispatch,
  createApiToken,
  createDb,
  createInstallation,
  createOrganization,
  createWorkspace,
  deleteInstallation,
  findOrganization,
  findPrincipalByTokenHash,
  findProviderInstallationForWebhook,
  findVisibleInstallation,
  getSessionWithEvents,
  listSessions,
  listVisibleInstallations,
  recordDelivery,
  revokeApiToken,
  upsertMember,
} from '../src/index.js';

const db = createDb(env.AUTH_DB);

async function tenantFixture(slug: string) {
  const org = await createOrganization(db, { slug, name: slug.toUpperCase() });
  const ws = await createWorkspace(db, { organizationId: org.id }, { slug: 'main', name: 'Main' });
  const other = await createWorkspace(db, { organizationId: org.id }, { slug: 'other', name: 'Other' });
  const user = await upsertMember(db, { organizationId: org.id }, { email: `admin@${slug}.test`, role: 'ADMIN' });
  return { org, ws, other, user, tenant: { organizationId: org.id, workspaceId: ws.id } };
}

function install(orgId: string, overrides: Partial<Parameters<typeof createInstallation>[2]> = {}) {
  return createInstallation(
    db,
    { organizationId: orgId },
    {
      kind: 'template',
      source: 'jira-cloud',
      title: 'Jira Backend',
      scope: 'global',
      workspaceId: null,
      settings: { site: 'x' },
      credentials: 'jwe',
      createdBy: 'u',
      ...overrides,
    },
  );
}

describe('api tokens', () => {
  it('resolves a token to its principal, with the lesser of token and membership role', async () => {
    const { org, ws, user, tenant } = await tenantFixture('tok');
    const issued = await createApiToken(db, tenant, { userId: user.id, role: 'SUPERADMIN', name: 'cli' });
    const principal = await findPrincipalByTokenHash(db, await sha256Hex(issued.token));
    expect(principal).toMatchObject({ organizationId: org.id, workspaceId: ws.id, userId: user.id, role: 'ADMIN' });
    const stored = await env.AUTH_DB.prepare('select * from api_tokens where id = ?')
      .bind(issued.id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(stored)).not.toContain(issued.token);
  });

  it('refuses unknown, revoked and expired tokens', async () => {
    const { user, tenant } = await tenantFixture('tok2');
    expect(await findPrincipalByTokenHash(db, await sha256Hex('gth_unknown'))).toBeNull();
    const revoked = await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'r' });
    expect(await revokeApiToken(db, tenant, revoked.id)).toBe(true);
    expect(await findPrincipalByTokenHash(db, await sha256Hex(revoked.token))).toBeNull();
    const expired = await createApiToken(db, tenant, {
      userId: user.id,
      role: 'MEMBER',
      name: 'e',
      expiresAt: Date.now() - 1,
    });
    expect(await findPrincipalByTokenHash(db, await sha256Hex(expired.token))).toBeNull();
  });

  it('cannot revoke another organization’s token', async () => {
    const a = await tenantFixture('toka');
    const b = await tenantFixture('tokb');
    const issued = await createApiToken(db, a.tenant, { userId: a.user.id, role: 'MEMBER', name: 'x' });
    expect(await revokeApiToken(db, b.tenant, issued.id)).toBe(false);
    expect(await findPrincipalByTokenHash(db, await sha256Hex(issued.token))).not.toBeNull();
  });
});

describe('installations', () => {
  it('shows Global and own-workspace Local installations, never another workspace’s or organization’s', async () => {
    const a = await tenantFixture('insta');
    const b = await tenantFixture('instb');
    const global = await install(a.org.id);
    const local = await install(a.org.id, { scope: 'local', workspaceId: a.ws.id, title: 'Jira Local' });
    const elsewhere = await install(a.org.id, { scope: 'local', workspaceId: a.other.id, title: 'Jira Other' });
    const foreign = await install(b.org.id, { title: 'Jira Backend' });

    const visible = await listVisibleInstallations(db, a.tenant);
    expect(visible.map((i) => i.id).sort()).toEqual([global.id, local.id].sort());
    expect(await findVisibleInstallation(db, a.tenant, elsewhere.id)).toBeNull();
    expect(await findVisibleInstallation(db, a.tenant, foreign.id)).toBeNull();
    // Handles are unique per organization, not globally.
    expect(foreign.handle).toBe(global.handle);
    expect(await findVisibleInstallation(db, a.tenant, global.handle)).toMatchObject({ id: global.id });
    expect(await findVisibleInstallation(db, a.tenant, local.handle)).toMatchObject({ id: local.id });
    // The same (prepared) lookup, another tenant's parameters: each sees only its own.
    expect(await findVisibleInstallation(db, b.tenant, global.handle)).toMatchObject({ id: foreign.id });
    expect(await findVisibleInstallation(db, b.tenant, global.id)).toBeNull();
    expect(
      await findVisibleInstallation(db, { organizationId: a.org.id, workspaceId: a.other.id }, local.id),
    ).toBeNull();
  });

  it('derives a free handle per title and bumps the catalog version on create and delete', async () => {
    const a = await tenantFixture('instc');
    const before = (await findOrganization(db, a.org.id))!.catalogVersion;
    const one = await install(a.org.id);
    const two = await install(a.org.id);
    expect([one.handle, two.handle]).toEqual(['jira-backend', 'jira-backend-2']);
    expect((await findOrganization(db, a.org.id))!.catalogVersion).toBe(before + 2);
    expect(await deleteInstallation(db, { organizationId: a.org.id }, one.id)).toBe(true);
    expect((await findOrganization(db, a.org.id))!.catalogVersion).toBe(before + 3);
  });

  it('refuses a Local installation without a workspace (check constraint)', async () => {
    const a = await tenantFixture('instd');
    await expect(install(a.org.id, { scope: 'local', workspaceId: null })).rejects.toThrow();
  });

  it('cannot delete another organization’s installation', async () => {
    const a = await tenantFixture('inste');
    const b = await tenantFixture('instf');
    const inst = await install(a.org.id);
    expect(await deleteInstallation(db, { organizationId: b.org.id }, inst.id)).toBe(false);
    expect(await findVisibleInstallation(db, a.tenant, inst.id)).not.toBeNull();
  });

  it('finds a webhook installation only for its own provider', async () => {
    const a = await tenantFixture('instg');
    const gh = await install(a.org.id, { kind: 'provider', source: 'github', title: 'GitHub' });
    expect(await findProviderInstallationForWebhook(db, 'github', gh.id)).toMatchObject({ id: gh.id });
    expect(await findProviderInstallationForWebhook(db, 'linear', gh.id)).toBeNull();
    const tpl = await install(a.org.id, { source: 'github' });
    expect(await findProviderInstallationForWebhook(db, 'github', tpl.id)).toBeNull();
  });
});

describe('webhook deliveries and sessions', () => {
  it('records a delivery once per installation and delivery id, and once per body', async () => {
    const a = await tenantFixture('hooka');
    const gh = await install(a.org.id, { kind: 'provider', source: 'github', title: 'GitHub' });
    const input = {
      installationId: gh.id,
      provider: 'github',
      deliveryId: 'd-1',
      bodySha256: 'aa11',
      eventName: 'issues.opened',
      status: 'received' as const,
    };
    const first = await recordDelivery(db, a.tenant, input);
    const second = await recordDelivery(db, a.tenant, input);
    expect(first.outcome).toBe('new');
    expect(second).toEqual({ outcome: 'duplicate', record: first.record });
    // The same signed body under another delivery id (a replay: the id header is not signed) is the same delivery.
    expect(await recordDelivery(db, a.tenant, { ...input, deliveryId: 'd-replayed' })).toEqual({
      outcome: 'duplicate',
      record: first.record,
    });
    // Another body under another id is a new delivery; the same body on another installation too.
    expect((await recordDelivery(db, a.tenant, { ...input, deliveryId: 'd-2', bodySha256: 'bb22' })).outcome).toBe(
      'new',
    );
    const other = await install(a.org.id, { kind: 'provider', source: 'github', title: 'GitHub 2' });
    expect((await recordDelivery(db, a.tenant, { ...input, installationId: other.id })).outcome).toBe('new');
  });

  it('creates a session per thread and appends each dispatch once', async () => {
    const a = await tenantFixture('sessa');
    const b = await tenantFixture('sessb');
    const gh = await install(a.org.id, { kind: 'provider', source: 'github', title: 'GitHub' });
    const dispatch = (id: string, threadKey = 'octo/repo#1', closesThread = false): SessionDispatch => ({
      dispatchId: `github:${id}`,
      organizationId: a.org.id,
      workspaceId: a.ws.id,
      installationId: gh.id,
      provider: 'github',
      threadKey,
      title: 'Bug',
      publication: null,
      closesThread,
      reply: null,
      event: {
        name: closesThread ? 'issues.closed' : 'issue_comment.created',
        actor: 'octocat',
        summary: 'hi',
        data: { n: 1 },
      },
    });
    const one = await appendSessionDispatch(db, a.tenant, dispatch('1'));
    const again = await appendSessionDispatch(db, a.tenant, dispatch('1'));
    const two = await appendSessionDispatch(db, a.tenant, dispatch('2'));
    const other = await appendSessionDispatch(db, a.tenant, dispatch('3', 'octo/repo#2'));
    expect(one.appended).toBe(true);
    expect(again).toEqual({ sessionId: one.sessionId, appended: false });
    expect(two).toEqual({ sessionId: one.sessionId, appended: true });
    expect(other.sessionId).not.toBe(one.sessionId);

    const session = await getSessionWithEvents(db, a.tenant, one.sessionId);
    expect(session?.events.map((e) => e.dispatchId)).toEqual(['github:1', 'github:2']);
    expect(session?.events[0]?.data).toEqual({ n: 1 });
    expect(await getSessionWithEvents(db, b.tenant, one.sessionId)).toBeNull();
    expect(await listSessions(db, b.tenant)).toEqual([]);
    await expect(appendSessionDispatch(db, b.tenant, dispatch('4'))).rejects.toThrow(/another tenant/);
  });

  it('closes a session on a closing dispatch, reopens it on the next one, and ignores a redelivered close', async () => {
    const a = await tenantFixture('sessc');
    const gh = await install(a.org.id, { kind: 'provider', source: 'github', title: 'GitHub' });
    const dispatch = (id: string, closesThread: boolean): SessionDispatch => ({
      dispatchId: `github:${gh.id}:${id}`,
      organizationId: a.org.id,
      workspaceId: a.ws.id,
      installationId: gh.id,
      provider: 'github',
      threadKey: 'octo/repo#7',
      title: 'Bug',
      publication: null,
      closesThread,
      reply: null,
      event: { name: closesThread ? 'issues.closed' : 'issues.reopened', actor: 'octocat', summary: 's', data: {} },
    });
    const status = async (id: string) => (await getSessionWithEvents(db, a.tenant, id))?.status;
    const opened = await appendSessionDispatch(db, a.tenant, dispatch('open', false));
    expect(await status(opened.sessionId)).toBe('active');
    await appendSessionDispatch(db, a.tenant, dispatch('close', true));
    expect(await status(opened.sessionId)).toBe('closed');
    await appendSessionDispatch(db, a.tenant, dispatch('reopen', false));
    expect(await status(opened.sessionId)).toBe('active');
    // The close delivered again (a vendor retry) appends nothing and must not undo the reopen.
    expect(await appendSessionDispatch(db, a.tenant, dispatch('close', true))).toEqual({
      sessionId: opened.sessionId,
      appended: false,
    });
    expect(await status(opened.sessionId)).toBe('active');
    const events = (await getSessionWithEvents(db, a.tenant, opened.sessionId))?.events.map((e) => e.eventName);
    expect(events).toEqual(['issues.reopened', 'issues.closed', 'issues.reopened']);
    // A first dispatch that closes creates the session closed.
    const fresh = await appendSessionDispatch(db, a.tenant, {
      ...dispatch('close-first', true),
      threadKey: 'octo/repo#8',
    });
    expect(await status(fresh.sessionId)).toBe('closed');
  });
});
