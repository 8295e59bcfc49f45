import { SELF, env } from 'cloudflare:test';
import {
  createApiToken,
  createDb,
  createOrganization,
  createWorkspace,
  upsertMember,
} from '@gatehouse/integrations-adapters-cf';
import type { Role } from '@gatehouse/integrations-core';

export const db = createDb(env.AUTH_DB);

/** A fresh organization with a workspace, a user of `role` and an API token. */
export async function seedTenant(slug: string, role: Role = 'ADMIN') {
  const org = await createOrganization(db, { slug, name: slug });
  const ws = await createWorkspace(
    db,
    { organizationId: org.id },
    { slug: 'main', name: 'Main', vision: 'Ship it', okrs: ['O1'] },
  );
  const user = await upsertMember(
    db,
    { organizationId: org.id },
    { email: `${role.toLowerCase()}@${slug}.test`, role },
  );
  const tenant = { organizationId: org.id, workspaceId: ws.id };
  const { token } = await createApiToken(db, tenant, { userId: user.id, role, name: 'test' });
  return { org, ws, user, tenant, token };
}

let nextId = 1;
const sessions = new Map<string, string>();

/** POSTs one JSON-RPC message to /mcp with the given headers. */
export async function post(token: string | null, message: unknown, headers: Record<string, string> = {}) {
  return SELF.fetch('https://gatehouse.test/mcp', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify(message),
  });
}

/** Initializes an MCP session for the token; returns the Mcp-Session-Id and the initialize result. */
export async function initialize(token: string, protocolVersion = '2025-11-25') {
  const res = await post(token, {
    jsonrpc: '2.0',
    id: nextId++,
    method: 'initialize',
    params: { protocolVersion, capabilities: {}, clientInfo: { name: 'test', version: '1' } },
  });
  const body = (await res.json()) as {
    result: { protocolVersion: string; instructions?: string; serverInfo: { name: string } };
  };
  return { res, sessionId: res.headers.get('mcp-session-id')!, result: body.result };
}

/**
 * Sends one JSON-RPC request to /mcp in the token's session (initialized on first use) and returns the HTTP response
 * and parsed body.
 */
export async function rpc(
  token: string | null,
  method: string,
  params: unknown = {},
  headers: Record<string, string> = {},
) {
  let session: string | undefined;
  if (token) {
    session = sessions.get(token);
    if (!session) {
      session = (await initialize(token)).sessionId;
      if (session) sessions.set(token, session);
    }
  }
  const res = await post(
    token,
    { jsonrpc: '2.0', id: nextId++, method, params },
    { ...(session ? { 'mcp-session-id': session } : {}), ...headers },
  );
  const text = await res.text();
  return { res, body: text ? (JSON.parse(text) as { result?: any; error?: { code: number; message: string } }) : null };
}
export async function callTool(token: string, name: string, args: Record<string, unknown>) {
  const { body } = await rpc(token, 'tools/call', { name, arguments: args });
  if (body?.error) throw new Error(`JSON-RPC error ${body.error.code}: ${body.error.message}`);
  const result = body!.result as { isError?: boolean; content: { type: string; text: string }[] };
  const text = result.content[0]!.text;
  return { isError: result.isError === true, text, json: result.isError ? undefined : JSON.parse(text) };
}

export async function listToolNames(token: string): Promise<string[]> {
  const { body } = await rpc(token, 'tools/list');
  return (body!.result.tools as { name: string }[]).map((t) => t.name);
}

/** A small template (Acme CRM, bearer API key, one GET tool per entry) for builder and install tests. */
export function crm(tools: Record<string, unknown>[] = [contactTool('get_contact')]) {
  return {
    slug: 'acme-crm',
    name: 'Acme CRM',
    description: 'Acme CRM contacts',
    docsUrl: 'https://docs.acme.test/api',
    baseUrl: '{+settings.base_url}',
    auth: { type: 'bearer', token: 'api_key' },
    credentials: [{ name: 'api_key', description: 'API key' }],
    settings: [{ name: 'base_url', description: 'API origin' }],
    tools,
  };
}

/** A GET-by-id tool of the `crm()` template. */
export function contactTool(name: string, required: string[] = ['id']) {
  return {
    name,
    title: name,
    description: `${name} by id`,
    docsUrl: 'https://docs.acme.test/api/contacts',
    method: 'GET',
    path: '/v1/contacts/{args.id}',
    inputSchema: { type: 'object', properties: { id: { type: 'string' }, region: { type: 'string' } }, required },
  };
}
