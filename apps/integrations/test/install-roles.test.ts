/**
 * Who may install a provider through `POST /install/<provider>` (the same rule as install_integration, integrations-core
 * installRefusal): a MEMBER installs Local into their own workspace only; Global needs an ADMIN. Credential paste and
 * OAuth start alike; a refused install stores nothing.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApiToken, upsertMember } from '@gatehouse/integrations-adapters-cf';
import { db, installProvider, seedTenant } from './tenant.js';

async function memberToken(slug: string) {
  const { org, ws, token: adminToken } = await seedTenant(slug);
  const user = await upsertMember(db, { organizationId: org.id }, { email: `m@${slug}.test`, role: 'MEMBER' });
  const { token } = await createApiToken(
    db,
    { organizationId: org.id, workspaceId: ws.id },
    { userId: user.id, role: 'MEMBER', name: 'm' },
  );
  return { org, ws, token, adminToken };
}

const count = async (organizationId: string) =>
  (
    await env.AUTH_DB.prepare('select count(*) as n from installations where organization_id = ?')
      .bind(organizationId)
      .first<{ n: number }>()
  )?.n;

describe('install roles', () => {
  it('refuses a MEMBER’s Global install (the default) with 403 and stores nothing; Local into their workspace works', async () => {
    const { org, ws, token } = await memberToken('roles-member');
    const credentials = { webhook_secret: 'whsec-member' };
    for (const body of [{ credentials }, { credentials, scope: 'Global' }]) {
      const { res, body: answer } = await installProvider(token, 'github', body);
      expect(res.status).toBe(403);
      expect(answer).toMatchObject({ error: 'insufficient_role' });
      expect(JSON.stringify(answer)).toMatch(/needs an ADMIN/);
    }
    const linearOauth = await installProvider(token, 'linear', {
      mode: 'oauth',
      scope: 'Global',
      credentials: { client_id: 'c', client_secret: 's', webhook_secret: 'w', app_user_id: 'u', app_user_name: 'g' },
    });
    expect(linearOauth.res.status).toBe(403);
    expect(await count(org.id)).toBe(0);
    const local = await installProvider(token, 'github', { credentials, scope: 'Local' });
    expect(local.res.status).toBe(201);
    const row = await env.AUTH_DB.prepare('select scope, workspace_id from installations where id = ?')
      .bind(local.body.installation.id)
      .first<{ scope: string; workspace_id: string }>();
    expect(row).toEqual({ scope: 'local', workspace_id: ws.id });
  });

  it('lets an ADMIN install Global', async () => {
    const { adminToken } = await memberToken('roles-admin');
    const { res } = await installProvider(adminToken, 'github', {
      credentials: { webhook_secret: 'whsec-admin' },
    });
    expect(res.status).toBe(201);
  });

  it('refuses an install body over 64 KB with 413 and stores nothing', async () => {
    const { org, adminToken } = await memberToken('roles-huge');
    const { res } = await installProvider(adminToken, 'github', {
      credentials: { webhook_secret: 'w', previous_webhook_secret: 'x'.repeat(70 * 1024) },
    });
    expect(res.status).toBe(413);
    expect(await count(org.id)).toBe(0);
  });
});
