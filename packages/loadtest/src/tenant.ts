/**
 * Tenants for load and fault runs, written through the product's own paths: organizations, members and API tokens
 * through the repositories (as the admin CLI writes them), provider installations through `POST /install/<id>`.
 */
import {
  createApiToken,
  createDb,
  createOrganization,
  createWorkspace,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import { installBody, type LoadProvider } from './deliveries.js';

/** An organization with workspace `main`, an ADMIN member and its API token, written through the repositories. */
export async function seedTenant(d1: D1Database, slug: string): Promise<{ organizationId: string; token: string }> {
  const db = createDb(d1);
  const org = await createOrganization(db, { slug, name: `Load test ${slug}` });
  const tenant = { organizationId: org.id };
  const ws = await createWorkspace(db, tenant, { slug: 'main', name: 'Main' });
  const user = await upsertMember(db, tenant, {
    email: `admin@${slug}.loadtest`,
    displayName: 'Load Test Admin',
    role: 'ADMIN',
  });
  const { token } = await createApiToken(
    db,
    { organizationId: org.id, workspaceId: ws.id },
    { userId: user.id, role: 'ADMIN', name: 'loadtest' },
  );
  return { organizationId: org.id, token };
}

/** Installs `provider` by credential paste with `secret` as its signing secret; returns the webhook URL. */
export async function install(
  integrationsUrl: string,
  token: string,
  provider: LoadProvider,
  secret: string,
): Promise<string> {
  const res = await fetch(`${integrationsUrl}/install/${provider}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(installBody(provider, secret)),
  });
  const answer = (await res.json()) as { webhook_url?: string };
  if (res.status !== 201 || !answer.webhook_url)
    throw new Error(`install of ${provider} answered ${res.status}: ${JSON.stringify(answer)}`);
  return answer.webhook_url;
}
