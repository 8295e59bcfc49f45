/**
 * GET /oauth/callback: the redirect target of template OAuth installs (RFC 6749 §4.1.2), finished by the one upstream
 * OAuth module (@gatehouse/upstream-oauth finishAuthorization: single-use state, the code exchanged with the PKCE
 * verifier, tokens stored encrypted, the installation activated). Only states issued for a template are accepted,
 * and only for a pending installation of that very template. On success its tools appear and connected clients get
 * tools/list_changed. The answer is a small HTML page: the person is in a browser.
 */
import { notifierFor } from '../notifications/org-notifier.js';
import { createDb, findTemplateVersionDefinitions } from '@gatehouse/integrations-adapters-cf';
import { integrationTemplateSchema } from '@gatehouse/catalog';
import type { WorkerConfig } from '@gatehouse/integrations-core';
import {
  TEMPLATE_STATE_PREFIX,
  authorizationPage,
  finishAuthorization,
  templateAuthorizationFlow,
  templateStateKey,
} from '@gatehouse/upstream-oauth';
import { loadCatalog } from '../tools/catalog.js';

export async function handleTemplateCallback(
  req: Request,
  env: Env,
  ctx: ExecutionContext,
  config: WorkerConfig,
): Promise<Response> {
  const db = createDb(env.AUTH_DB);
  const outcome = await finishAuthorization(db, config.cipher, new URL(req.url).searchParams, {
    accepts: (stateKey) => stateKey.startsWith(TEMPLATE_STATE_PREFIX),
    resolve: async (installation) => {
      if (installation.kind !== 'template') return null;
      const tenant = { organizationId: installation.organizationId };
      const entry = (await loadCatalog(db, tenant)).find((e) => e.template.slug === installation.source);
      // The version the installation is pinned at, not a newer one awaiting approval: its token URL is where the
      // client secret, the code and the PKCE verifier go.
      let template = entry?.template;
      if (entry?.origin === 'organization' && installation.templateVersion !== entry.version) {
        const [pinned] = await findTemplateVersionDefinitions(db, tenant, [
          { slug: installation.source, version: installation.templateVersion ?? entry.version },
        ]);
        const parsed = integrationTemplateSchema.safeParse(pinned?.definition);
        template = parsed.success ? parsed.data : undefined;
      }
      if (template?.auth.type !== 'oauth2_authorization_code') return null;
      const withAuth = { ...template, auth: template.auth };
      return { stateKey: templateStateKey(template), flow: templateAuthorizationFlow(withAuth) };
    },
    outbound: { fetch: (input, init) => fetch(input, init), allowLoopback: config.allowLoopbackUpstreams },
  });
  if (outcome.ok)
    ctx.waitUntil(notifierFor(env, outcome.installation.organizationId).notify('notifications/tools/list_changed'));
  return authorizationPage(outcome, {
    retry: 'Run install_integration again.',
    connected: () =>
      'Gatehouse can now use it for this installation. You can close this window and go back to your MCP client.',
  });
}
