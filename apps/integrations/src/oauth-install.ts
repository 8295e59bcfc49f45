/**
 * OAuth installs of code providers, on the one upstream OAuth module (@gatehouse/upstream-oauth, shared with the
 * catalog templates' installs): start (from install-route.ts) and `GET /install/<id>/callback`, the same for every
 * provider; what happens at the vendor is the provider's `OAuthInstallFlow` (RFC 6749 §4.1 with PKCE S256 for Linear
 * and Slack, a GitHub App installation for GitHub). A state is accepted only at the callback of the provider it was
 * issued for.
 */
import type { Db, Principal } from '@gatehouse/integrations-adapters-cf';
import {
  jsonError,
  type IntegrationProvider,
  type OAuthInstallFlow,
  type WorkerConfig,
} from '@gatehouse/integrations-core';
import { authorizationPage, finishAuthorization, startAuthorization } from '@gatehouse/upstream-oauth';
import { oauthFlowOf, webhookUrl } from './install-route.js';
import { outboundOf } from './outbound.js';

export const callbackPath = (providerId: string) => `/install/${providerId}/callback`;

export async function startOAuthInstall(
  db: Db,
  config: WorkerConfig,
  provider: IntegrationProvider,
  oauth: OAuthInstallFlow,
  principal: Principal,
  input: {
    credentials: Record<string, string>;
    settings: Record<string, string>;
    title?: string | undefined;
    scope: 'Local' | 'Global';
  },
  baseUrl: string,
): Promise<Response> {
  const { installation, authorizationUrl, expiresAt } = await startAuthorization(
    db,
    config.cipher,
    principal,
    { stateKey: provider.id, flow: oauth },
    {
      installation: {
        kind: 'provider',
        source: provider.id,
        title: input.title ?? provider.displayName,
        scope: input.scope === 'Local' ? 'local' : 'global',
        workspaceId: principal.workspaceId,
        settings: input.settings,
      },
      app: input.credentials,
      redirectUri: `${baseUrl.replace(/\/+$/, '')}${callbackPath(provider.id)}`,
    },
  );
  return Response.json(
    {
      installation: {
        id: installation.id,
        handle: installation.handle,
        title: installation.title,
        scope: input.scope,
        status: 'pending_authorization',
      },
      authorization_url: authorizationUrl,
      expires_at: new Date(expiresAt).toISOString(),
      webhook_url: webhookUrl(baseUrl, provider.id, installation.id),
    },
    { status: 201 },
  );
}

/** GET /install/<id>/callback: the provider's flow finishes the install (upstream-oauth finishAuthorization). */
export async function handleOAuthCallback(
  req: Request,
  provider: IntegrationProvider,
  db: Db,
  config: WorkerConfig,
): Promise<Response> {
  const flow = oauthFlowOf(provider);
  if (!flow) return jsonError(404, 'not_found', `${provider.displayName} has no OAuth install`);
  const url = new URL(req.url);
  const outcome = await finishAuthorization(db, config.cipher, url.searchParams, {
    accepts: (stateKey) => stateKey === provider.id,
    resolve: async (installation) =>
      installation.kind === 'provider' && installation.source === provider.id ? { stateKey: provider.id, flow } : null,
    outbound: outboundOf(config),
  });
  return authorizationPage(outcome, {
    retry: 'Start the install again.',
    connected: (installation) =>
      `${provider.displayName} is installed and connected to Gatehouse. Configure its webhook to send events to ${webhookUrl(url.origin, provider.id, installation.id)}.`,
  });
}
