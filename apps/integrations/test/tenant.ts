/**
 * Test setup shared by the integrations worker's tests: an organization with a workspace, an ADMIN member and an API
 * token, and installing a provider through the real `POST /install/<provider>` route.
 */
import { SELF, env } from 'cloudflare:test';
import { createApiToken, createDb, createOrganization, createWorkspace, upsertMember } from '@gatehouse/integrations-adapters-cf';

export const db = createDb(env.AUTH_DB);

export async function seedTenant(slug: string) {
  const org = await createOrganization(db, { slug, name: slug });
  const ws = await createWorkspace(db, { organizationId: org.id }, { slug: 'main', name: 'Main' });
  const user = await upsertMember(db, { organizationId: org.id }, { email: `a@${slug}.test`, role: 'ADMIN' });
  const { token } = await createApiToken(db, { organizationId: org.id, workspaceId: ws.id }, { userId: user.id, role: 'ADMIN', name: 't' });
  return { org, ws, user, token };
}

/** POST /install/<provider> with the token; returns the response and its parsed body. */
export async function installProvider(token: string, provider: string, body: Record<string, unknown>) {
  const res = await SELF.fetch(`http://integrations.test/install/${provider}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { res, body: (await res.json()) as { installation: { id: string; handle: string; status?: string }; webhook_url: string; authorization_url: string } };
}
