/**
 * Gatehouse main worker: the MCP endpoint, its OAuth authorization server, and agent sessions. Routes:
 * - POST|GET|DELETE /mcp — MCP Streamable HTTP; Bearer API token or OAuth access token (oauth/oauth-servers.ts)
 * - GET /.well-known/oauth-protected-resource[/mcp] — RFC 9728 metadata; 401s point at it
 * - GET /.well-known/oauth-authorization-server, POST /register, POST /token — the OAuth server (RFC 8414, 7591,
 *   6749 + PKCE, 7009 revocation)
 * - GET|POST /authorize — sign-in and consent (oauth/consent-page.ts)
 * - GET /oauth/callback — OAuth authorization-code callback of template installs
 * - GET /healthz
 * RPC for the integrations worker over its MAIN service binding (MainRpc, packages/integrations-core):
 * deliverSessionDispatch. No route exists only for the other worker.
 * Scheduled: purge expired MCP sessions, old internal message receipts, expired run history and spent rate-limit
 * buckets; sweep agent runs (start those left queued, end those whose workflow ended); re-encrypt credentials after
 * a key rotation.
 * Workflows: AgentRunWorkflow, one instance per agent run (agents/agent-run-workflow.ts).
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { OAuthResourceAuth } from '@cloudflare/workers-oauth-provider';
import { Hono } from 'hono';
import {
  createDb,
  purgeInternalMessageReceipts,
  purgeRateBuckets,
  purgeRunHistory,
  reencryptCredentials,
} from '@gatehouse/integrations-adapters-cf';
import {
  jsonError,
  jsonRpcErrorBody,
  loadWorkerConfig,
  requestIdOf,
  rpcBoundary,
  secretValuesOf,
  unhandledErrorResponse,
  type MainRpc,
  type SessionDispatchOutcome,
  type SignedInternalMessage,
} from '@gatehouse/integrations-core';
import { checkTransportOrigin, handleMcp } from './mcp/handle-mcp.js';
import { handleAuthorize } from './oauth/consent-page.js';
import { oauthServers, principalOf, publicOrigin, type McpAuthProps } from './oauth/oauth-servers.js';
import { handleTemplateCallback } from './oauth/template-callback.js';
import { sweepRuns } from './agents/start-runs.js';
import { purgeSessions } from './sessions/purge-sessions.js';
import { receiveSessionDispatch } from './sessions/receive-session-dispatch.js';

export { OrgNotifier } from './notifications/org-notifier.js';
export { AgentRunWorkflow } from './agents/agent-run-workflow.js';

/** The /mcp application behind token validation: resolve the caller, then MCP. */
async function mcpApplication(
  req: Request,
  env: Env,
  ctx: ExecutionContext & { props: McpAuthProps; auth: OAuthResourceAuth },
): Promise<Response> {
  const caller = await principalOf(env, req, ctx.props, ctx.auth.clientId);
  if (!caller) {
    // A valid OAuth token whose user has left the organization.
    const metadata = `${publicOrigin(env, req)}/.well-known/oauth-protected-resource/mcp`;
    return new Response(jsonRpcErrorBody(-32001, 'Unauthorized: the account behind this token no longer has access'), {
      status: 401,
      headers: {
        'content-type': 'application/json',
        'www-authenticate': `Bearer error="invalid_token", resource_metadata="${metadata}"`,
      },
    });
  }
  return handleMcp(req, env, ctx, loadWorkerConfig(env), { ...caller, scopes: ctx.auth.scope, auth: ctx.auth });
}

const servers = (env: Env, req: Request) => oauthServers(publicOrigin(env, req), mcpApplication);

const app = new Hono<{ Bindings: Env }>();

app.get('/healthz', (c) => c.json({ ok: true }));
app.all('/mcp', (c) => {
  const refused = checkTransportOrigin(c.req.raw, c.env);
  if (refused) return refused;
  // MCP authorization §Access Token Usage: "Access tokens MUST NOT be included in the URI query string".
  if (new URL(c.req.url).searchParams.has('access_token'))
    return new Response(
      jsonRpcErrorBody(-32600, 'Bad Request: send the token in the Authorization header, not the query string'),
      {
        status: 400,
        headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer error="invalid_request"' },
      },
    );
  return servers(c.env, c.req.raw).resourceServer.fetch(c.req.raw, c.env, c.executionCtx as ExecutionContext);
});
// The exact root form first: Hono's '/*' route below also matches the bare path.
app.get('/.well-known/oauth-protected-resource', (c) => {
  // Root form of RFC 9728 §3.1 for clients that do not insert the resource path.
  const url = new URL(c.req.url);
  url.pathname = '/.well-known/oauth-protected-resource/mcp';
  return servers(c.env, c.req.raw).resourceServer.fetch(
    new Request(url, c.req.raw),
    c.env,
    c.executionCtx as ExecutionContext,
  );
});
app.get('/.well-known/oauth-protected-resource/*', (c) =>
  servers(c.env, c.req.raw).resourceServer.fetch(c.req.raw, c.env, c.executionCtx as ExecutionContext),
);
app.on(['GET', 'POST'], '/authorize', (c) =>
  handleAuthorize(c.req.raw, c.env, loadWorkerConfig(c.env), servers(c.env, c.req.raw).authorizationServer),
);
const authorizationServerRoute = (c: { req: { raw: Request }; env: Env; executionCtx: unknown }) =>
  servers(c.env, c.req.raw).authorizationServer.fetch(c.req.raw, c.env, c.executionCtx as ExecutionContext);
app.all('/token', authorizationServerRoute);
// RFC 7591 registration is unauthenticated: limited per client IP (CF-Connecting-IP; absent locally) before the
// library stores anything.
app.post('/register', async (c) => {
  const ip = c.req.header('cf-connecting-ip');
  if (ip && !(await c.env.REGISTER_LIMITER.limit({ key: `register:${ip}` })).success)
    return c.json(
      { error: 'temporarily_unavailable', error_description: 'Too many client registrations; retry in a minute.' },
      429,
      { 'retry-after': '60' },
    );
  return authorizationServerRoute(c);
});
app.all('/register', authorizationServerRoute);
app.all('/.well-known/oauth-authorization-server', authorizationServerRoute);
app.all('/.well-known/oauth-authorization-server/*', authorizationServerRoute);
app.get('/oauth/callback', (c) =>
  handleTemplateCallback(c.req.raw, c.env, c.executionCtx as ExecutionContext, loadWorkerConfig(c.env)),
);
app.notFound(() => jsonError(404, 'not_found', 'no such route; the MCP endpoint is /mcp'));
app.onError((err, c) =>
  // Anything unexpected is a logged 500: one line with the error's name, its redacted message, the route and the
  // request id the response carries too (packages/integrations-core/src/error-log.ts).
  unhandledErrorResponse(err, {
    worker: 'mcp',
    method: c.req.method,
    route: c.req.routePath,
    requestId: requestIdOf(c.req.raw),
    knownSecrets: secretValuesOf(c.env),
  }),
);

/**
 * The worker: HTTP routes, the cron handler, and the RPC method the integrations worker calls over its service
 * binding (https://developers.cloudflare.com/workers/runtime-apis/rpc/).
 */
/** Runs `purge(batch)` until it removes fewer than `batch` rows (at most 20 times) and logs the total as `msg`. */
async function drain(msg: string, batch: number, purge: (batch: number) => Promise<number>): Promise<void> {
  let count = 0;
  for (let i = 0; i < 20; i++) {
    const n = await purge(batch);
    count += n;
    if (n < batch) break;
  }
  console.log(JSON.stringify({ msg, count }));
}

export default class McpWorker extends WorkerEntrypoint<Env> implements MainRpc {
  override fetch(request: Request): Response | Promise<Response> {
    return app.fetch(request, this.env, this.ctx);
  }

  override async scheduled(_controller: ScheduledController): Promise<void> {
    const { env, ctx } = this;
    ctx.waitUntil(
      purgeSessions(env).then((n) => console.log(JSON.stringify({ msg: 'purged expired MCP sessions', count: n }))),
    );
    const db = createDb(env.AUTH_DB);
    // Bounded batches until each backlog is gone (at most 20 batches a run: far above any arrival rate).
    ctx.waitUntil(drain('purged internal message receipts', 5000, (n) => purgeInternalMessageReceipts(db, n)));
    // Expired run-history items and their R2 bodies.
    ctx.waitUntil(drain('purged run history', 500, (n) => purgeRunHistory(db, env.RUN_HISTORY, n)));
    // Rate-limit buckets whose theoretical arrival time has passed (no state left).
    ctx.waitUntil(drain('purged rate-limit buckets', 5000, (n) => purgeRateBuckets(db, n)));
    // Agent runs queued but never started, or whose workflow instance ended without ending them.
    ctx.waitUntil(sweepRuns(env).then((r) => console.log(JSON.stringify({ msg: 'swept agent runs', ...r }))));
    // After a key rotation (new CREDENTIALS_ACTIVE_KID), move rows still on an old key, a bounded batch per run.
    ctx.waitUntil(
      reencryptCredentials(db, loadWorkerConfig(env).cipher, 200).then((r) =>
        console.log(JSON.stringify({ msg: 're-encrypted credentials', ...r })),
      ),
    );
  }

  deliverSessionDispatch(message: SignedInternalMessage): Promise<SessionDispatchOutcome> {
    return rpcBoundary(
      { worker: 'mcp', method: 'deliverSessionDispatch', knownSecrets: () => secretValuesOf(this.env) },
      () => receiveSessionDispatch(message, this.env, loadWorkerConfig(this.env), (p) => this.ctx.waitUntil(p)),
    );
  }
}
