/**
 * Test setup shared by the integrations worker's tests: an organization with a workspace, an ADMIN member and an API
 * token, and installing a provider through the real `POST /install/<provider>` route.
 */
import { SELF, env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import {
  createApiToken,
  createDb,
  createOrganization,
  createWorkspace,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import {
  signInternalMessage,
  type IntegrationsRpc,
  type ProviderToolCallInput,
  type SignedInternalMessage,
} from '@gatehouse/integrations-core';

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

/**
 * The integrations worker's default export, reached over RPC as the main worker's INTEGRATIONS binding reaches it
 * (`exports.default` is the loopback binding to it; the plugin's SELF wraps it for fetch only).
 */
export const integrations = exports.default as unknown as IntegrationsRpc;

/**
 * A provider tool call as the main worker sends it (a `provider-tool` message signed with MCP_SIGNING_KEY, or
 * `key`), its outcome rendered as the Response a route would have given (status, `{ result }` or
 * `{ error, message }`), so tests read statuses.
 */
export async function callProviderTool(call: ProviderToolCallInput, key = env.MCP_SIGNING_KEY): Promise<Response> {
  return deliverProviderTool(await signInternalMessage(key, 'provider-tool', call));
}

/** Delivers an already signed message (e.g. a replay) and renders its outcome like callProviderTool. */
export async function deliverProviderTool(message: SignedInternalMessage): Promise<Response> {
  const outcome = await integrations.callProviderTool(message);
  return outcome.ok
    ? Response.json({ result: outcome.result })
    : Response.json({ error: outcome.error, message: outcome.message }, { status: outcome.status });
}

/** The PKCE S256 transform (RFC 7636 §4.2) the vendor fakes check code verifiers with. */
export async function pkceS256(verifier: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  return btoa(String.fromCharCode(...d))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
