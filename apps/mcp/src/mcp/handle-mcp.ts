/**
 * /mcp over Streamable HTTP in both protocol eras, routed per request (protocol-era.ts): a POST whose `_meta` names
 * 2026-07-28 is served statelessly (handle-modern.ts); `initialize` and everything else keep the 2025-06-18 /
 * 2025-11-25 sessionful path below (MCP 2026-07-28 §basic/versioning "Backward compatibility").
 *
 * 2025 era: the SDK's web-standard transport runs stateless for each request; this layer adds what must outlive an
 * isolate: the Mcp-Session-Id is issued at initialize and kept in D1 (valid on any isolate, after restarts), bound to
 * the organization, workspace and user of the credentials that created it. A session never authenticates: every
 * request carries its own token first.
 *
 * - POST: JSON-RPC. Initialize creates the session; anything else needs a live Mcp-Session-Id (400 without, 404
 *   unknown/ended/expired/someone else's, so the client re-initializes).
 * - GET: the server-to-client SSE stream (notifications such as tools/list_changed), held by the organization's
 *   OrgNotifier Durable Object; resumable with Last-Event-ID.
 * - DELETE: ends the session.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { insufficientScope, type OAuthResourceAuth } from '@cloudflare/workers-oauth-provider';
import {
  createDb,
  createMcpSession,
  endMcpSession,
  touchMcpSession,
  type Db,
  type Principal,
  type PrincipalSession,
} from '@gatehouse/integrations-adapters-cf';
import { secretValuesOf, type WorkerConfig } from '@gatehouse/integrations-core';
import { startToolCallRecording, type HistorySink } from '../history/tool-call-record.js';
import { publicOrigin } from '../oauth/oauth-servers.js';
import { BASE_SCOPE, missingScopes } from './scope-policy.js';
import type { ModelEnv } from '../agents/agent-model.js';
import { knowledgeRetrieverFor, type KnowledgeEnv } from '../knowledge/retriever.js';
import { handleModernRequest, jsonRpcErrorFor } from './handle-modern.js';
import { notifierFor } from '../notifications/org-notifier.js';
import { routeEra } from './protocol-era.js';
import { createMcpServer } from './server.js';
import type { ToolContext } from '../tools/tool-types.js';
import { cachedToolsList, isAcceptableMcpPost, isPlainToolsList } from './tools-list-response.js';
import {
  checkHost,
  checkOrigin,
  checkProtocolVersionHeader,
  initializeParams,
  jsonRpcError,
  readJsonBody,
} from './transport-guards.js';

const SESSION_HEADER = 'mcp-session-id';

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((o) => o.trim().toLowerCase())
    .filter(Boolean);
}

const sessionRequired = () =>
  jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required; send initialize first');
const sessionNotFound = () =>
  jsonRpcError(404, -32001, 'Session not found: it ended or expired; send initialize to start a new one');

/** Who is calling, as established by the token validation (oauth/oauth-servers.ts). */
export interface McpCaller {
  principal: Principal;
  session: PrincipalSession | null;
  /** Scopes of the token: all of them for API tokens, the granted ones for OAuth tokens. */
  scopes: readonly string[];
  /** The verified token facts, for scope challenges. */
  auth: OAuthResourceAuth;
}

/** /mcp for an authenticated caller. Host and Origin are checked before authentication (index.ts). */
export async function handleMcp(
  req: Request,
  env: Env,
  ctx: ExecutionContext,
  config: WorkerConfig,
  caller: McpCaller,
): Promise<Response> {
  const db = createDb(env.AUTH_DB);
  const { principal, session } = caller;
  const touch = session ? touchMcpSession(db, principal, session) : null;
  if (touch) ctx.waitUntil(touch);
  if (req.method === 'POST') return handlePost(req, env, ctx, config, db, caller, session);
  const badVersion = checkProtocolVersionHeader(req);
  if (badVersion) return badVersion;
  switch (req.method) {
    case 'GET':
      if (missingScopes(undefined, caller.scopes).length) return insufficientScope(caller.auth, [BASE_SCOPE]);
      return handleGet(req, env, principal, session?.id ?? null);
    case 'DELETE':
      return handleDelete(req, env, ctx, db, principal);
    default:
      return jsonRpcError(405, -32000, 'Method not allowed: use POST, GET or DELETE', { allow: 'GET, POST, DELETE' });
  }
}

/** The run-history sink of a request (the organization's retention decides whether anything is written). */
export function historySink(env: Env, ctx: Pick<ExecutionContext, 'waitUntil'>, db: Db): HistorySink {
  return {
    db,
    bucket: env.RUN_HISTORY,
    waitUntil: (p) => ctx.waitUntil(p),
    knownSecrets: () => secretValuesOf(env),
  };
}

/** A tools/call refused for its token's scopes is recorded as `refused` (the SDK never sees it). */
function recordScopeRefusal(json: unknown, principal: Principal, sink: HistorySink, missing: readonly string[]): void {
  const call = json as { method?: unknown; params?: { name?: unknown; arguments?: unknown } };
  if (call.method !== 'tools/call' || typeof call.params?.name !== 'string') return;
  const args = call.params.arguments && typeof call.params.arguments === 'object' ? call.params.arguments : {};
  startToolCallRecording({ principal, fetch }, sink, call.params.name, args as Record<string, unknown>)?.finish(null, {
    reason: 'insufficient_scope',
    message: `the token lacks the scope ${missing.join(', ')}`,
    refused: true,
  });
}

/** Host and Origin checks (DNS rebinding), applied before anything else on /mcp. */
export function checkTransportOrigin(req: Request, env: Env): Response | null {
  const hosts = list(env.ALLOWED_HOSTS);
  return checkHost(req, hosts) ?? checkOrigin(req, list(env.ALLOWED_ORIGINS), hosts);
}

/** The tool context of one request; `sessionId` null for initialize and for 2026-07-28 requests. */
function toolContext(
  req: Request,
  env: Env,
  ctx: ExecutionContext,
  config: WorkerConfig,
  db: Db,
  caller: McpCaller,
  sessionId: string | null,
  contextDelivered: boolean,
): ToolContext {
  const { principal } = caller;
  return {
    principal,
    db,
    config,
    fetch: (input, init) => fetch(input, init),
    integrations: env.INTEGRATIONS,
    agentRuns: env.AGENT_RUNS,
    modelEnv: env as ModelEnv,
    knowledge: knowledgeRetrieverFor(env as KnowledgeEnv, db),
    publicOrigin: publicOrigin(env, req),
    scopes: caller.scopes,
    sessionId,
    contextDelivered,
    history: historySink(env, ctx, db),
    notifyToolsChanged: () =>
      ctx.waitUntil(notifierFor(env, principal.organizationId).notify('notifications/tools/list_changed')),
  };
}

/** The id of a single JSON-RPC request body, for error answers (null when it has none). */
function requestId(body: unknown): string | number | null {
  const id = body && typeof body === 'object' && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

async function handlePost(
  req: Request,
  env: Env,
  ctx: ExecutionContext,
  config: WorkerConfig,
  db: Db,
  caller: McpCaller,
  liveSession: PrincipalSession | null,
): Promise<Response> {
  const { principal } = caller;
  const body = await readJsonBody(req);
  if (!body.ok) return body.response;
  const era = routeEra(req, body.json);
  if (era.era === 'reject') {
    const { status, code, message, data } = era.rejection;
    return jsonRpcErrorFor(requestId(body.json), status, code, message, data);
  }
  const missing = missingScopes(body.json, caller.scopes);
  if (missing.length) {
    recordScopeRefusal(body.json, principal, historySink(env, ctx, db), missing);
    return insufficientScope(caller.auth, [BASE_SCOPE, ...missing.filter((s) => s !== BASE_SCOPE)]);
  }
  if (era.era === 'modern') {
    // Modern notifications (e.g. notifications/cancelled closing a listen stream, whose abort already ended it)
    // need no answer beyond 202 (MCP 2026-07-28 §Transports).
    if (era.kind === 'notification') return new Response(null, { status: 202 });
    const tools = toolContext(req, env, ctx, config, db, caller, null, false);
    return handleModernRequest(req, env, caller, tools, era.message, era.route);
  }
  const badVersion = checkProtocolVersionHeader(req);
  if (badVersion) return badVersion;
  const init = initializeParams(body.json);
  let sessionId: string | null = null;
  if (!init) {
    if (!req.headers.get(SESSION_HEADER)) return sessionRequired();
    if (!liveSession) return sessionNotFound();
    sessionId = liveSession.id;
  }
  if (sessionId && isPlainToolsList(body.json) && isAcceptableMcpPost(req)) {
    // The hot path: tools/list from cached, pre-compressed bytes (tools-list-response.ts); null falls through.
    const cached = await cachedToolsList(req, body.json.id, db, principal, caller.scopes, env.INTEGRATIONS);
    if (cached) return cached;
  }
  const server = createMcpServer(
    toolContext(req, env, ctx, config, db, caller, sessionId, liveSession?.contextDelivered ?? false),
    { era: 'legacy' },
  );
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  const res = await transport.handleRequest(req, {
    parsedBody: body.json,
    authInfo: { token: 'redacted', clientId: principal.tokenId, scopes: [...caller.scopes] },
  });
  if (!init || res.status !== 200) return res;
  // Initialize succeeded: record the session with the version the server negotiated, and hand out its id.
  const text = await res.text();
  let answer: { result?: { protocolVersion?: string } } = {};
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    /* not JSON: no result, so no session */
  }
  // A JSON-RPC error (e.g. initialize without params) answers 200 too: only a result starts a session.
  if (!answer.result) return new Response(text, { status: res.status, headers: res.headers });
  const negotiated = answer.result.protocolVersion ?? init.protocolVersion;
  const session = await createMcpSession(db, principal, {
    userId: principal.userId,
    protocolVersion: negotiated,
    clientName: init.clientName,
  });
  const headers = new Headers(res.headers);
  headers.set(SESSION_HEADER, session.id);
  return new Response(text, { status: res.status, headers });
}

async function handleGet(req: Request, env: Env, principal: Principal, sessionId: string | null): Promise<Response> {
  if (!(req.headers.get('accept') ?? '').includes('text/event-stream'))
    return jsonRpcError(406, -32000, 'Not Acceptable: GET /mcp opens an SSE stream; send Accept: text/event-stream');
  if (!req.headers.get(SESSION_HEADER)) return sessionRequired();
  if (!sessionId) return sessionNotFound();
  const stream = await notifierFor(env, principal.organizationId).subscribe(
    sessionId,
    req.headers.get('last-event-id'),
  );
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      [SESSION_HEADER]: sessionId,
    },
  });
}

async function handleDelete(
  req: Request,
  env: Env,
  ctx: ExecutionContext,
  db: Db,
  principal: Principal,
): Promise<Response> {
  const header = req.headers.get(SESSION_HEADER);
  if (!header) return sessionRequired();
  if (!(await endMcpSession(db, principal, principal.userId, header))) return sessionNotFound();
  ctx.waitUntil(notifierFor(env, principal.organizationId).closeSession(header));
  return new Response(null, { status: 204 });
}
