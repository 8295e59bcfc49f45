/**
 * Connection health (tools/connection-health.ts): a token revoked at the service turns the installation
 * needs_reauth after the 401; its tools then answer what to do without calling the service, the listings show it,
 * connected clients hear that the list changed, and new credentials (checked with the service) restore it. A 403
 * is recorded without changing anything.
 */
import {
  createApiToken,
  listTemplateInstallations,
  recordCredentialFailure,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import { beforeAll, describe, expect, it } from 'vitest';
import { callTool, contactTool, crm, db, listToolNames, post, rpc, seedTenant } from './helpers.js';
import { fakeHosts, installVendorFakes } from './vendor-fakes.js';

const valid = new Set(['good-key', 'new-key']);
let requests = 0;

beforeAll(() => {
  installVendorFakes();
  fakeHosts.set('crm.health.test', (req) => {
    requests++;
    const auth = req.headers.get('authorization') ?? '';
    if (!valid.has(auth.replace(/^Bearer /, ''))) return Response.json({ error: 'invalid token' }, { status: 401 });
    if (new URL(req.url).pathname.endsWith('/secret')) return Response.json({ error: 'forbidden' }, { status: 403 });
    // An endpoint that answers 401 for a resource the token may not see, whatever the token (some APIs do).
    if (new URL(req.url).pathname.endsWith('/scoped')) return Response.json({ error: 'no access' }, { status: 401 });
    return Response.json({ id: 'c1', name: 'Ada' });
  });
});

async function installed(slug: string, key: string) {
  const t = await seedTenant(slug);
  await callTool(t.token, 'create_integration', {
    template: { ...crm([contactTool('get_contact')]), validation: { method: 'GET', path: '/v1/me' } },
  });
  const out = await callTool(t.token, 'install_integration', {
    template: 'acme-crm',
    credentials: { api_key: key },
    settings: { base_url: 'https://crm.health.test' },
  });
  expect(out.isError, out.text).toBe(false);
  return t;
}

const listed = async (token: string) =>
  (await callTool(token, 'list_installed_integrations', {})).json.installations[0] as {
    status: string;
    health?: { needs_reauth: boolean; last_failure: { kind: string } | null; last_success_at: string | null };
  };

describe('connection health', () => {
  it('marks an installation needs_reauth after a 401, stops calling the service, and recovers with new credentials', async () => {
    valid.add('revocable-key');
    const { token } = await installed('health-revoked', 'revocable-key');
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
    expect((await listed(token)).health?.last_success_at).toBeTruthy();

    // A client listening for changes (2026-07-28 subscriptions/listen).
    const listen = await post(
      token,
      {
        jsonrpc: '2.0',
        id: 'health-listen',
        method: 'subscriptions/listen',
        params: {
          notifications: { toolsListChanged: true },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      },
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'subscriptions/listen' },
    );
    const reader = listen.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    while (!seen.includes('acknowledged')) seen += (await reader.read()).value ?? '';

    valid.delete('revocable-key'); // revoked at the service
    const refused = await callTool(token, 'get_contact', { id: 'c1' });
    expect(refused).toMatchObject({ isError: true, text: expect.stringMatching(/answered 401/) });
    while (!seen.includes('list_changed')) seen += (await reader.read()).value ?? '';
    await reader.cancel();

    const before = requests;
    const blocked = await callTool(token, 'get_contact', { id: 'c1' });
    expect(blocked).toMatchObject({
      isError: true,
      text: expect.stringMatching(/needs re-authorization.*update_integration_credentials/),
    });
    expect(requests).toBe(before);
    expect(await listed(token)).toMatchObject({
      status: 'needs_reauth',
      health: { needs_reauth: true, last_failure: { kind: 'upstream_401' } },
    });
    const info = (await callTool(token, 'get_workspace_info', {})).json;
    expect(info.active_integrations[0]).toMatchObject({ handle: 'acme-crm', status: 'needs_reauth' });
    const { body } = await rpc(token, 'tools/list');
    const tool = (body!.result.tools as { name: string; title: string }[]).find((t) => t.name === 'get_contact');
    expect(tool?.title).toMatch(/needs re-authorization/);

    // Credentials the service refuses do not restore it; working ones do.
    const wrong = await callTool(token, 'update_integration_credentials', {
      integration: 'acme-crm',
      credentials: { api_key: 'still-wrong' },
    });
    expect(wrong).toMatchObject({ isError: true, text: expect.stringMatching(/refused the credentials check/) });
    expect((await listed(token)).status).toBe('needs_reauth');
    const fixed = await callTool(token, 'update_integration_credentials', {
      integration: 'acme-crm',
      credentials: { api_key: 'new-key' },
    });
    expect(fixed.json).toMatchObject({ status: 'active' });
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
    expect((await listed(token)).status).toBe('active');
    expect(await listToolNames(token)).toContain('get_contact');
  });

  it('records a 403 without marking the installation', async () => {
    const { token } = await installed('health-forbidden', 'good-key');
    const out = await callTool(token, 'get_contact', { id: 'secret' });
    expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/answered 403/) });
    expect(await listed(token)).toMatchObject({
      status: 'active',
      health: { needs_reauth: false, last_failure: { kind: 'upstream_403' } },
    });
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
  });

  it("does not mark a shared installation for one endpoint's 401 while the validation request still passes", async () => {
    const { token } = await installed('health-scoped-401', 'good-key');
    const out = await callTool(token, 'get_contact', { id: 'scoped' });
    expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/answered 401/) });
    expect(await listed(token)).toMatchObject({
      status: 'active',
      health: { needs_reauth: false, last_failure: { kind: 'upstream_401' } },
    });
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
  });

  it('never marks with a stale read: a failure seen with credentials replaced meanwhile is not recorded', async () => {
    const { token, org } = await installed('health-stale', 'good-key');
    const [row] = await listTemplateInstallations(db, { organizationId: org.id }, 'acme-crm');
    await callTool(token, 'update_integration_credentials', {
      integration: 'acme-crm',
      credentials: { api_key: 'new-key' },
    });
    // A call that read the old credentials before the replacement, answered 401 after it.
    const marked = await recordCredentialFailure(db, { organizationId: org.id }, row!, {
      kind: 'upstream_401',
      message: 'stale',
      needsReauth: true,
    });
    expect(marked).toBe(false);
    expect((await listed(token)).status).toBe('active');
  });

  it("lets only the installer or an ADMIN replace an installation's credentials", async () => {
    const { token, org, tenant } = await installed('health-owner', 'good-key');
    const user = await upsertMember(db, { organizationId: org.id }, { email: 'o@health.test', role: 'MEMBER' });
    const other = await createApiToken(db, tenant, { userId: user.id, role: 'MEMBER', name: 'o' });
    const out = await callTool(other.token, 'update_integration_credentials', {
      integration: 'acme-crm',
      credentials: { api_key: 'new-key' },
    });
    expect(out).toMatchObject({ isError: true, text: expect.stringMatching(/Only the person who installed/) });
    expect((await callTool(token, 'get_contact', { id: 'c1' })).isError).toBe(false);
  });
});
