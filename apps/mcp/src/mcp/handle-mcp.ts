/**
 * /mcp over Streamable HTTP (MCP 2025-06-18 and 2025-11-25 §Transports). The transport layer is kept thin: each
 * request authenticates, builds a server and answers through the SDK's web-standard transport in stateless JSON
 * mode. Without server-held sessions there is no server-to-client stream to open and no session to end, so GET and
 * DELETE answer 405 as the transport section allows ("The server MUST either return text/event-stream … or else
 * return HTTP 405"; DELETE: "The server MAY respond … with HTTP 405").
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { authenticate, createDb, wwwAuthenticate } from '@gatehouse/integrations-adapters-cf';
import type { WorkerConfig } from '@gatehouse/integrations-core';
import { jsonRpcErrorBody } from '@gatehouse/integrations-core';
import { createMcpServer } from './server.js';

/** Largest JSON-RPC POST body read, bytes. */
export const MAX_MCP_BODY_BYTES = 1_048_576;

export async function handleMcp(req: Request, env: Env, config: WorkerConfig): Promise<Response> {
  if (req.method !== 'POST') {
    return new Response(jsonRpcErrorBody(-32000, 'Method not allowed: this server keeps no sessions; send JSON-RPC with POST'), {
      status: 405,
      headers: { allow: 'POST', 'content-type': 'application/json' },
    });
  }
  const db = createDb(env.AUTH_DB);
  const auth = await authenticate(req, db);
  if (!auth.ok) {
    return new Response(jsonRpcErrorBody(-32001, `Unauthorized: ${auth.description}`), {
      status: auth.status,
      headers: { 'www-authenticate': wwwAuthenticate(auth), 'content-type': 'application/json' },
    });
  }
  const server = createMcpServer({ principal: auth.principal, db, config, fetch: (input, init) => fetch(input, init) });
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
    maxRequestBodySize: MAX_MCP_BODY_BYTES,
  });
  await server.connect(transport);
  return transport.handleRequest(req, {
    authInfo: { token: 'redacted', clientId: auth.principal.tokenId, scopes: ['mcp:read', 'mcp:write', 'mcp:execute', 'mcp:admin'] },
  });
}
