/**
 * Test setup shared by the integrations worker's tests: an organization with a workspace, an ADMIN member and an API
 * token, and installing a provider through the real `POST /install/<provider>` route.
 */
import { SELF, env } from 'cloudflare:test';
import {
  createApiToken,
  createDb,
  createOrganization,
  createWorkspace,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import { signInternalRequest, type ProviderToolCall } from '@gatehouse/integrations-core';

export const db = createDb(env.AUTH_DB);

export async function seedTenant(slug: string) {
  const org = await createOrganization(db, { slug, name: slug });
  const ws = await createWorkspace(db, { organizationId: org.id }, { slug: 'main', name: 'Main' });
  const user = await upsertMember(db, { organizationId: org.id }, { email: `a@${slug}.test`, role: 'ADMIN' });
  const { token } = await createApiToken(
    db,
    { organizationId: org.id, workspaceId: ws.id },
    { userId: user.id, role: 'ADMIN', name: 't' },
  );
  return { org, ws, user, token };
}

/** POST /install/<provider> with the token; returns the response and its parsed body. */
export async function installProvider(token: string, provider: string, body: Record<string, unknown>) {
  const res = await SELF.fetch(`http://integrations.test/install/${provider}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return {
    res,
    body: (await res.json()) as {
      installation: { id: string; handle: string; status?: string };
      webhook_url: string;
      authorization_url: string;
    },
  };
}

/** POST /internal/provider-tool as the main worker sends it: the call signed with MCP_SIGNING_KEY (or `key`). */
export async function callProviderTool(call: ProviderToolCall, key = env.MCP_SIGNING_KEY) {
  const raw = JSON.stringify(call);
  return SELF.fetch('http://integrations.test/internal/provider-tool', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'gatehouse-signature': await signInternalRequest(key, raw) },
    body: raw,
  });
}

/** The PKCE S256 transform (RFC 7636 §4.2) the vendor fakes check code verifiers with. */
export async function pkceS256(verifier: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...d))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
