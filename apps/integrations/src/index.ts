/**
 * Gatehouse integrations worker. Routes, the same for every registered provider:
 * - GET /v1/integrations — the registry, ready for a console page
 * - GET|POST /install/<id> — install a provider
 * - POST /webhook/<id>/<installation id> — inbound webhooks
 */
import { Hono } from 'hono';
import { createDb } from '@gatehouse/integrations-adapters-cf';
import {
  jsonError,
  loadWorkerConfig,
  requestIdOf,
  secretValuesOf,
  unhandledErrorResponse,
  type ProviderTool,
} from '@gatehouse/integrations-core';
import { describeInstall, handleInstall, oauthFlowOf } from './install-route.js';
import { PROVIDERS, findProvider } from './providers.js';
import { consumeDispatches } from './dispatch-queue.js';
import { callbackPath, handleOAuthCallback } from './oauth-install.js';
import { handleProviderTool } from './provider-tool-route.js';
import { handleWebhook, type DispatchMessage } from './webhook-pipeline.js';

const app = new Hono<{ Bindings: Env }>();

function baseUrl(env: Env, req: Request): string {
  return env.PUBLIC_BASE_URL || new URL(req.url).origin;
}

app.get('/healthz', (c) => c.json({ ok: true }));

app.get('/v1/integrations', (c) => {
  const base = baseUrl(c.env, c.req.raw);
  return c.json({
    integrations: PROVIDERS.map((p) => ({
      id: p.id,
      display_name: p.displayName,
      install: {
        type: p.install.type,
        url: `${base}/install/${p.id}`,
        fields: p.install.fields,
        settings: p.install.settings ?? [],
        oauth: ((flow) =>
          flow
            ? { scopes: flow.scopes, app_fields: flow.appFields, callback_url: `${base}${callbackPath(p.id)}` }
            : null)(oauthFlowOf(p)),
      },
      webhook_url_template: `${base}/webhook/${p.id}/{installation_id}`,
      tools: (p.tools as readonly ProviderTool[]).map((t) => ({
        name: t.name,
        description: t.description,
        inputSchema: t.inputSchema,
        ...(t.annotations ? { annotations: t.annotations } : {}),
        publication_scope: t.publicationScope ?? null,
      })),
      publication_scopes: p.publication.scopes,
    })),
  });
});

app.get('/install/:provider', (c) => {
  const provider = findProvider(c.req.param('provider'));
  return provider
    ? describeInstall(provider)
    : jsonError(404, 'unknown_provider', 'no such provider; see GET /v1/integrations');
});

app.get('/install/:provider/callback', (c) => {
  const provider = findProvider(c.req.param('provider'));
  if (!provider) return jsonError(404, 'unknown_provider', 'no such provider');
  return handleOAuthCallback(c.req.raw, provider, createDb(c.env.AUTH_DB), loadWorkerConfig(c.env));
});

app.post('/install/:provider', (c) => {
  const provider = findProvider(c.req.param('provider'));
  if (!provider) return jsonError(404, 'unknown_provider', 'no such provider; see GET /v1/integrations');
  return handleInstall(c.req.raw, provider, c.env, loadWorkerConfig(c.env), baseUrl(c.env, c.req.raw));
});

app.post('/webhook/:provider/:installation', (c) => {
  const provider = findProvider(c.req.param('provider'));
  if (!provider) return jsonError(404, 'unknown_provider', 'no such provider');
  return handleWebhook(c.req.raw, provider, c.req.param('installation'), c.env, loadWorkerConfig(c.env));
});

app.post('/internal/provider-tool', (c) => handleProviderTool(c.req.raw, c.env, loadWorkerConfig(c.env)));

app.notFound(() => jsonError(404, 'not_found', 'no such route; see GET /v1/integrations'));
app.onError((err, c) =>
  // Anything unexpected is a logged 500: one line with the error's name, its redacted message, the route and the
  // request id the response carries too (packages/integrations-core/src/error-log.ts).
  unhandledErrorResponse(err, {
    worker: 'integrations',
    method: c.req.method,
    route: c.req.routePath,
    requestId: requestIdOf(c.req.raw),
    knownSecrets: secretValuesOf(c.env),
  }),
);

export default {
  fetch: app.fetch,
  queue: (batch, env) => consumeDispatches(batch as MessageBatch<DispatchMessage>, env),
} satisfies ExportedHandler<Env, DispatchMessage>;
