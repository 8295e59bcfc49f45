/**
 * Gatehouse integrations worker. Routes, the same for every registered provider:
 * - GET /v1/integrations — the registry, ready for a console page
 * - GET|POST /install/<id> — install a provider
 * - POST /webhook/<id>/<installation id> — inbound webhooks
 * RPC for the main worker over its INTEGRATIONS service binding (IntegrationsRpc, packages/integrations-core):
 * the provider registry and provider tool calls. No route exists only for the other worker.
 * Queue consumer: DISPATCH_QUEUE and its dead-letter queue (dispatch-queue.ts).
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import { Hono } from 'hono';
import { createDb } from '@gatehouse/integrations-adapters-cf';
import {
  jsonError,
  loadWorkerConfig,
  requestIdOf,
  rpcBoundary,
  secretValuesOf,
  unhandledErrorResponse,
  type IntegrationsRpc,
  type ProviderRegistryEntry,
  type ProviderTool,
  type ProviderToolOutcome,
  type SignedInternalMessage,
} from '@gatehouse/integrations-core';
import { describeInstall, handleInstall, oauthFlowOf } from './install-route.js';
import { PROVIDERS, findProvider } from './providers.js';
import { consumeDispatches } from './dispatch-queue.js';
import { callbackPath, handleOAuthCallback } from './oauth-install.js';
import { runProviderTool } from './provider-tool-call.js';
import { handleWebhook, type DispatchMessage } from './webhook-pipeline.js';

/** The registry as the main worker lists it (static data: built once per isolate). */
let registry: ProviderRegistryEntry[] | undefined;

function providerRegistry(): ProviderRegistryEntry[] {
  registry ??= PROVIDERS.map((p) => ({
    id: p.id,
    displayName: p.displayName,
    tools: (p.tools as readonly ProviderTool[]).map((t) => ({
      name: t.name,
      description: t.description,
      inputSchema: t.inputSchema,
      ...(t.annotations ? { annotations: t.annotations } : {}),
      publicationScope: t.publicationScope ?? null,
    })),
    publicationScopes: p.publication.scopes.map((s) => ({ name: s.name, granularities: [...s.granularities] })),
  }));
  return registry;
}

const app = new Hono<{ Bindings: Env }>();

function baseUrl(env: Env, req: Request): string {
  return env.PUBLIC_BASE_URL || new URL(req.url).origin;
}

app.get('/healthz', (c) => c.json({ ok: true }));

app.get('/v1/integrations', (c) => {
  const base = baseUrl(c.env, c.req.raw);
  return c.json({
    integrations: PROVIDERS.map((p, i) => ({
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
      // The same tool descriptors the main worker lists, in this API's snake_case.
      tools: providerRegistry()[i]!.tools.map(({ publicationScope, ...tool }) => ({
        ...tool,
        publication_scope: publicationScope,
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
  return handleWebhook(c.req.raw, provider, c.req.param('installation'), c.env, loadWorkerConfig(c.env), (p) =>
    c.executionCtx.waitUntil(p),
  );
});

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

/**
 * The worker: HTTP routes, the dispatch queue consumer, and the RPC methods the main worker calls over its
 * service binding (https://developers.cloudflare.com/workers/runtime-apis/rpc/).
 */
export default class IntegrationsWorker extends WorkerEntrypoint<Env> implements IntegrationsRpc {
  override fetch(request: Request): Response | Promise<Response> {
    return app.fetch(request, this.env, this.ctx);
  }

  override queue(batch: MessageBatch<DispatchMessage>): Promise<void> {
    return consumeDispatches(batch, this.env);
  }

  async providerRegistry(): Promise<ProviderRegistryEntry[]> {
    return providerRegistry();
  }

  callProviderTool(message: SignedInternalMessage): Promise<ProviderToolOutcome> {
    return rpcBoundary(
      { worker: 'integrations', method: 'callProviderTool', knownSecrets: () => secretValuesOf(this.env) },
      () => runProviderTool(message, this.env, loadWorkerConfig(this.env)),
    );
  }
}
