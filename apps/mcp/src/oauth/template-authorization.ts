/**
 * Installing a template whose auth is the OAuth 2.0 authorization code grant: install_integration stores the
 * installation as `pending` with the client credentials, records a single-use state (PKCE verifier and redirect URI
 * encrypted in its payload) and answers with the authorization URL; GET /oauth/callback finishes it
 * (template-callback.ts). Pending installations provide no tools.
 */
import { createInstallation, createOAuthState } from '@gatehouse/integrations-adapters-cf';
import { authorizationUrl, createPkce, type AuthorizationCodeAuth, type IntegrationTemplate } from '@gatehouse/catalog';
import type { ToolContext } from '../tools/tool-types.js';

/** Path of the callback on the main worker; the full redirect URI is the MCP endpoint's origin plus this. */
export const OAUTH_CALLBACK_PATH = '/oauth/callback';

export interface StateCarried {
  installationId: string;
  codeVerifier: string;
  redirectUri: string;
}

export async function startTemplateAuthorization(
  ctx: ToolContext,
  template: IntegrationTemplate & { auth: AuthorizationCodeAuth },
  input: {
    title: string;
    scope: 'local' | 'global';
    workspaceId: string;
    settings: Record<string, string>;
    credentials: Record<string, string>;
  },
) {
  const row = await createInstallation(ctx.db, ctx.principal, {
    kind: 'template',
    source: template.slug,
    title: input.title,
    scope: input.scope,
    workspaceId: input.workspaceId,
    settings: input.settings,
    credentials: await ctx.config.cipher.encrypt(input.credentials),
    createdBy: ctx.principal.userId,
    status: 'pending',
  });
  const pkce = await createPkce();
  const redirectUri = `${ctx.publicOrigin}${OAUTH_CALLBACK_PATH}`;
  const carried: StateCarried = { installationId: row.id, codeVerifier: pkce.verifier, redirectUri };
  const { state, expiresAt } = await createOAuthState(
    ctx.db,
    { organizationId: ctx.principal.organizationId, workspaceId: ctx.principal.workspaceId },
    {
      provider: `template:${template.slug}`,
      userId: ctx.principal.userId,
      payload: await ctx.config.cipher.encrypt({ ...carried }),
    },
  );
  const url = authorizationUrl(template.auth, input.settings, {
    clientId: input.credentials[template.auth.clientId]!,
    redirectUri,
    state,
    codeChallenge: pkce.challenge,
  });
  return {
    /** For the caller (not shown to the client): the pending installation's id. */
    installationId: row.id,
    installed: { handle: row.handle, title: row.title, template: template.slug, status: 'pending_authorization' },
    authorization_url: url,
    expires_at: new Date(expiresAt).toISOString(),
    note: `Open authorization_url in a browser and approve access. The tools appear once ${template.name} redirects back; register ${redirectUri} as the redirect URI of your OAuth app.`,
  };
}
