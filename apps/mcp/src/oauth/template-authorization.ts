/**
 * Installing a template whose auth is the OAuth 2.0 authorization code grant, on the one upstream OAuth module
 * (@gatehouse/upstream-oauth, shared with the code providers' installs): install_integration stores the installation
 * `pending` with the client credentials and answers the authorization URL; `GET /oauth/callback` finishes it
 * (template-callback.ts). Pending installations provide no tools.
 */
import type { AuthorizationCodeAuth, IntegrationTemplate } from '@gatehouse/catalog';
import { startAuthorization, templateAuthorizationFlow, templateStateKey } from '@gatehouse/upstream-oauth';
import type { ToolContext } from '../tools/tool-types.js';

/** Path of the callback on the main worker; the full redirect URI is the MCP endpoint's origin plus this. */
export const OAUTH_CALLBACK_PATH = '/oauth/callback';

export async function startTemplateAuthorization(
  ctx: ToolContext,
  template: IntegrationTemplate & { auth: AuthorizationCodeAuth },
  input: {
    title: string;
    scope: 'local' | 'global';
    workspaceId: string;
    settings: Record<string, string>;
    credentials: Record<string, string>;
    /** The organization template's version (null for a shipped template) and the row it was read from. */
    templateVersion: number | null;
    templateId?: string;
  },
) {
  const redirectUri = `${ctx.publicOrigin}${OAUTH_CALLBACK_PATH}`;
  const { installation, authorizationUrl, expiresAt } = await startAuthorization(
    ctx.db,
    ctx.config.cipher,
    ctx.principal,
    { stateKey: templateStateKey(template), flow: templateAuthorizationFlow(template) },
    {
      installation: {
        kind: 'template',
        source: template.slug,
        title: input.title,
        scope: input.scope,
        workspaceId: input.workspaceId,
        settings: input.settings,
        templateVersion: input.templateVersion,
        ...(input.templateId ? { templateId: input.templateId } : {}),
      },
      app: input.credentials,
      redirectUri,
    },
  );
  return {
    /** For the caller (not shown to the client): the pending installation's id. */
    installationId: installation.id,
    installed: {
      handle: installation.handle,
      title: installation.title,
      template: template.slug,
      status: 'pending_authorization',
    },
    authorization_url: authorizationUrl,
    expires_at: new Date(expiresAt).toISOString(),
    note: `Open authorization_url in a browser and approve access. The tools appear once ${template.name} redirects back; register ${redirectUri} as the redirect URI of your OAuth app.`,
  };
}
