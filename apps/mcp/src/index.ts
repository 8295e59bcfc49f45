/**
 * Gatehouse main worker: the MCP endpoint and agent sessions. Routes:
 * - POST|GET|DELETE /mcp — MCP Streamable HTTP (API token auth, sessions in D1, GET stream via OrgNotifier)
 * - GET /oauth/callback — OAuth authorization-code callback of template installs
 * - POST /internal/session-dispatch — signed SessionDispatch from the integrations worker
 * - GET /healthz
 * Scheduled: purge expired MCP sessions in bounded batches.
 */
import { Hono } from 'hono';
import { createDb, reencryptCredentials } from '@gatehouse/integrations-adapters-cf';
import { ConfigError, jsonError, loadWorkerConfig } from '@gatehouse/integrations-core';
import { handleMcp } from './mcp/handle-mcp.js';
import { handleTemplateCallback } from './oauth/template-callback.js';
import { purgeSessions } from './sessions/purge-sessions.js';
import { handleSessionDispatch } from './sessions/session-dispatch-route.js';

export { OrgNotifier } from './notifications/org-notifier.js';

const app = new Hono<{ Bindings: Env }>();

app.get('/healthz', (c) => c.json({ ok: true }));
app.all('/mcp', (c) => handleMcp(c.req.raw, c.env, c.executionCtx as ExecutionContext, loadWorkerConfig(c.env)));
app.get('/oauth/callback', (c) => handleTemplateCallback(c.req.raw, c.env, c.executionCtx as ExecutionContext, loadWorkerConfig(c.env)));
app.post('/internal/session-dispatch', (c) => handleSessionDispatch(c.req.raw, c.env, loadWorkerConfig(c.env)));
app.notFound(() => jsonError(404, 'not_found', 'no such route; the MCP endpoint is /mcp'));
app.onError((err) => {
  // Anything unexpected is a logged 500 with a generic message (never the error text, which may hold secrets).
  console.error(JSON.stringify({ msg: 'unhandled error', error: err.name, config: err instanceof ConfigError ? err.message : undefined }));
  return jsonError(500, 'internal_error', 'internal error; it was logged');
});

export default {
  fetch: app.fetch,
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(purgeSessions(env).then((n) => console.log(JSON.stringify({ msg: 'purged expired MCP sessions', count: n }))));
    // After a key rotation (new CREDENTIALS_ACTIVE_KID), move rows still on an old key, a bounded batch per run.
    ctx.waitUntil(
      reencryptCredentials(createDb(env.AUTH_DB), loadWorkerConfig(env).cipher, 200).then((r) =>
        console.log(JSON.stringify({ msg: 're-encrypted credentials', ...r })),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
