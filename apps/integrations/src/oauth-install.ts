/**
 * OAuth installs of code providers: start (from install-route.ts) and the callback, the same for every provider; what
 * happens at the vendor is the provider's `OAuthInstallFlow` (RFC 6749 §4.1 with PKCE S256 for Linear and Slack, a
 * GitHub App installation for GitHub). The organization's app credentials are stored encrypted with a `pending`
 * installation; the state is single-use, expires in ten minutes and carries (encrypted) the installation, the PKCE
 * verifier and the redirect URI; the callback lets the flow finish and activates the installation with the result.
 */
import {
  consumeOAuthState,
  createInstallation,
  createOAuthState,
  findInstallation,
  swapInstallationCredentials,
  type Db,
  type Principal,
} from '@gatehouse/integrations-adapters-cf';
import { createPkce } from '@gatehouse/catalog';
import {
  jsonError,
  type IntegrationProvider,
  type OAuthInstallFlow,
  type WorkerConfig,
} from '@gatehouse/integrations-core';
import { z } from 'zod';
import { webhookUrl } from './install-route.js';
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
  const row = await createInstallation(db, principal, {
    kind: 'provider',
    source: provider.id,
    title: input.title ?? provider.displayName,
    scope: input.scope === 'Local' ? 'local' : 'global',
    workspaceId: principal.workspaceId,
    settings: input.settings,
    credentials: await config.cipher.encrypt(input.credentials),
    createdBy: principal.userId,
    status: 'pending',
  });
  const pkce = await createPkce();
  const redirectUri = `${baseUrl.replace(/\/+$/, '')}${callbackPath(provider.id)}`;
  const { state, expiresAt } = await createOAuthState(
    db,
    { organizationId: principal.organizationId, workspaceId: principal.workspaceId },
    {
      provider: provider.id,
      userId: principal.userId,
      payload: await config.cipher.encrypt({ installationId: row.id, codeVerifier: pkce.verifier, redirectUri }),
    },
  );
  const authorizationUrl = oauth.authorizationUrl(input.credentials, {
    state,
    redirectUri,
    codeChallenge: pkce.challenge,
    settings: input.settings,
  });
  return Response.json(
    {
      installation: {
        id: row.id,
        handle: row.handle,
        title: row.title,
        scope: input.scope,
        status: 'pending_authorization',
      },
      authorization_url: authorizationUrl,
      expires_at: new Date(expiresAt).toISOString(),
      webhook_url: webhookUrl(baseUrl, provider.id, row.id),
    },
    { status: 201 },
  );
}

const carriedSchema = z.object({ installationId: z.string(), codeVerifier: z.string(), redirectUri: z.string() });

function page(status: number, title: string, message: string): Response {
  const esc = (t: string) => t.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return new Response(
    `<!doctype html><meta charset="utf-8"><title>${esc(title)}</title><h1>${esc(title)}</h1><p>${esc(message)}</p>`,
    {
      status,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'x-frame-options': 'DENY',
      },
    },
  );
}

/** GET /install/<id>/callback: consume the state, exchange the code, store the tokens, activate. */
export async function handleOAuthCallback(
  req: Request,
  provider: IntegrationProvider,
  db: Db,
  config: WorkerConfig,
): Promise<Response> {
  if (provider.install.type !== 'oauth')
    return jsonError(404, 'not_found', `${provider.displayName} has no OAuth install`);
  const url = new URL(req.url);
  const state = url.searchParams.get('state');
  const row = state ? await consumeOAuthState(db, state) : null;
  if (!row || row.provider !== provider.id)
    return page(400, 'Link expired', 'This install link expired or was already used. Start the install again.');
  if (url.searchParams.get('error'))
    return page(
      400,
      'Install declined',
      `${provider.displayName} answered "${url.searchParams.get('error')!.slice(0, 100)}". Nothing was installed.`,
    );
  const carried = carriedSchema.parse(await config.cipher.decrypt(row.payload));
  const tenant = { organizationId: row.organizationId };
  const installation = await findInstallation(db, tenant, carried.installationId);
  if (installation?.status !== 'pending' || installation.source !== provider.id)
    return page(409, 'Nothing to install', 'This installation was removed or is already active.');
  const app = await config.cipher.decrypt(installation.credentials);
  const done = await provider.install.oauth.complete(url.searchParams, app, {
    settings: installation.settings,
    outbound: outboundOf(config),
    redirectUri: carried.redirectUri,
    codeVerifier: carried.codeVerifier,
  });
  if (!done.ok) return page(502, 'Install failed', `${done.message}. Start the install again.`);
  const stored = await swapInstallationCredentials(db, tenant, {
    installationId: installation.id,
    expected: installation.credentials,
    credentials: await config.cipher.encrypt(done.credentials),
    activate: true,
  });
  if (!stored) return page(409, 'Nothing to install', 'This installation changed meanwhile; start the install again.');
  return page(
    200,
    `${installation.title} is installed`,
    `${provider.displayName} is connected to Gatehouse. Configure its webhook to send events to ${webhookUrl(url.origin, provider.id, installation.id)}.`,
  );
}
