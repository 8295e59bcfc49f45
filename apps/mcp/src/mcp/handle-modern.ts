/**
 * POST /mcp for a 2026-07-28 request (MCP 2026-07-28 §basic "stateless"): no session, every request carries its
 * version, client info and capabilities in `_meta` (protocol-era.ts has already classified and checked it).
 *
 * - `tools/list` without a cursor: the cached bytes of the 2025 path with the modern result fields
 *   (tools-list-response.ts), the same answer the SDK would give.
 * - `subscriptions/listen`: the response stream is held by the organization's OrgNotifier, so a change made on any
 *   isolate reaches it (§Subscriptions).
 * - `server/discover`: answered by the SDK, with the session context in its instructions (first-call-context.ts).
 * - Anything else: the SDK's Server through its per-request transport, which answers removed methods (`ping`,
 *   `logging/setLevel`, `initialize`) with 404 and −32601 and adds `resultType` to every result.
 */
import {
  PerRequestHTTPServerTransport,
  SERVER_INFO_META_KEY,
  ProtocolErrorCode,
  type InboundModernRoute,
  type JSONRPCRequest,
} from '@modelcontextprotocol/server';
import { jsonRpcErrorBody } from '@gatehouse/integrations-core';
import { z } from 'zod';
import {
  listenEnd,
  MAX_LISTENERS_PER_USER,
  notifierFor,
  SUBSCRIPTION_ID_META_KEY,
  type ListenRefusal,
} from '../notifications/org-notifier.js';
import type { ToolContext } from '../tools/tool-types.js';
import { discoverInstructions } from './first-call-context.js';
import { DEFAULT_INSTRUCTIONS } from './instructions.js';
import { createMcpServer, SERVER_INFO } from './server.js';
import { cachedToolsList, isPlainToolsList } from './tools-list-response.js';
import { TOOLS_LIST_CACHE_HINT } from './protocol-era.js';
import type { McpCaller } from './handle-mcp.js';

/**
 * The fields the SDK adds to a modern tools/list result, in its order (`resultType`, the cache hint, the server's
 * identity in `_meta`), as JSON members to append after `"tools":[…]`.
 */
const MODERN_FIELDS = `,${JSON.stringify({
  resultType: 'complete',
  ...TOOLS_LIST_CACHE_HINT,
  _meta: { [SERVER_INFO_META_KEY]: SERVER_INFO },
}).slice(1, -1)}`;

/** A JSON-RPC error answer with the request's id (a modern client matches errors by id). */
export function jsonRpcErrorFor(
  id: string | number | null,
  status: number,
  code: number,
  message: string,
  data?: unknown,
): Response {
  return new Response(jsonRpcErrorBody(code, message, id, data), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** The filter of `subscriptions/listen` (MCP 2026-07-28 §Subscriptions, SubscriptionFilter); unknown keys ignored. */
const SubscriptionFilter = z.looseObject({
  toolsListChanged: z.boolean().optional(),
  promptsListChanged: z.boolean().optional(),
  resourcesListChanged: z.boolean().optional(),
  resourceSubscriptions: z.array(z.string()).optional(),
});

const sse = (body: BodyInit) =>
  new Response(body, {
    headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform' },
  });

/**
 * `subscriptions/listen`: honours `toolsListChanged` (the one list that changes: `tools.listChanged`); prompts and
 * resources are not offered, so asking for them is acknowledged without them, and a filter with nothing honoured
 * is acknowledged and closed at once with the final result, as the SDK's own router does.
 */
async function listen(env: Env, caller: McpCaller, message: JSONRPCRequest): Promise<Response> {
  const parsed = SubscriptionFilter.safeParse(
    (message.params as { notifications?: unknown } | undefined)?.notifications,
  );
  if (!parsed.success)
    return jsonRpcErrorFor(
      message.id,
      200,
      ProtocolErrorCode.InvalidParams,
      "Invalid params: 'notifications' is required and must be a SubscriptionFilter, e.g. { toolsListChanged: true }",
    );
  const honoured = parsed.data.toolsListChanged === true ? { toolsListChanged: true } : {};
  if (!honoured.toolsListChanged) {
    const ack = {
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: {}, _meta: { [SUBSCRIPTION_ID_META_KEY]: message.id } },
    };
    return sse(`event: message\ndata: ${JSON.stringify(ack)}\n\n${listenEnd(message.id)}`);
  }
  const { organizationId, userId } = caller.principal;
  const stream = await notifierFor(env, organizationId).listen(message.id, userId, honoured, [
    'notifications/tools/list_changed',
  ]);
  if (typeof stream === 'string')
    return jsonRpcErrorFor(message.id, 200, ProtocolErrorCode.InternalError, LISTEN_REFUSALS[stream], {
      reason: stream,
    });
  return sse(stream);
}

/** What to tell a caller whose listen stream was refused. */
const LISTEN_REFUSALS: Record<ListenRefusal, string> = {
  user_limit: `Subscription limit reached: at most ${MAX_LISTENERS_PER_USER} open listen streams per user; close one`,
  organization_limit: 'Subscription limit reached for this organization; close a listen stream or try later',
};

/**
 * Answers one modern request; `ctx` is the request's tool context (no session). A failure no handler mapped is
 * logged by name and answered −32603 with the request's id (HTTP 500); a client that went away gets 499 and no body.
 */
export async function handleModernRequest(
  req: Request,
  env: Env,
  caller: McpCaller,
  ctx: ToolContext,
  message: JSONRPCRequest,
  route: InboundModernRoute,
): Promise<Response> {
  try {
    const contentType = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType !== 'application/json')
      return jsonRpcErrorFor(message.id, 415, -32000, 'Unsupported Media Type: send Content-Type: application/json');
    if (message.method === 'subscriptions/listen') return await listen(env, caller, message);
    if (isPlainToolsList(message)) {
      const { db, principal, integrations } = ctx;
      const cached = await cachedToolsList(req, message.id, db, principal, caller.scopes, integrations, MODERN_FIELDS);
      if (cached) return cached;
    }
    const base = ctx.principal.workspaceInstructions ?? DEFAULT_INSTRUCTIONS;
    const instructions = message.method === 'server/discover' ? await discoverInstructions(ctx, base) : undefined;
    const server = createMcpServer(ctx, { era: 'modern', instructions });
    const transport = new PerRequestHTTPServerTransport({ classification: route.classification, responseMode: 'json' });
    await server.connect(transport);
    return await transport.handleMessage(message, {
      request: req,
      authInfo: { token: 'redacted', clientId: ctx.principal.tokenId, scopes: [...caller.scopes] },
    });
  } catch (err) {
    if (req.signal.aborted) return new Response(null, { status: 499 });
    const error = err instanceof Error ? err.name : 'unknown';
    console.error(JSON.stringify({ msg: 'modern request failed', method: message.method, error }));
    return jsonRpcErrorFor(message.id, 500, ProtocolErrorCode.InternalError, 'Internal error');
  }
}
