/**
 * Access tokens of template OAuth installations, refreshed before they expire (RFC 6749 §6), one refresh at a time
 * per installation (integrations-adapters-cf freshInstallationCredentials: a D1 lease and a compare-and-swap).
 */
import {
  CredentialRefreshError,
  freshInstallationCredentials,
  type InstallationRecord,
} from '@gatehouse/integrations-adapters-cf';
import {
  needsRefresh,
  refreshAccessToken,
  type AuthorizationCodeAuth,
  type IntegrationTemplate,
} from '@gatehouse/catalog';
import { ToolError, type ToolContext } from '../tools/tool-types.js';

export async function freshCredentials(
  ctx: ToolContext,
  template: IntegrationTemplate & { auth: AuthorizationCodeAuth },
  installation: InstallationRecord,
  credentials: Record<string, string>,
): Promise<Record<string, string>> {
  try {
    return await freshInstallationCredentials(
      ctx.db,
      { organizationId: installation.organizationId },
      ctx.config.cipher,
      installation,
      credentials,
      {
        needsRefresh,
        refresh: async (latest, current) => {
          const refreshed = await refreshAccessToken(
            template.name,
            template.auth,
            { settings: current.settings, credentials: latest },
            {
              fetch: ctx.fetch,
              allowLoopback: ctx.config.allowLoopbackUpstreams,
            },
          );
          if (!refreshed.ok) throw new CredentialRefreshError(refreshed.message);
          return refreshed.credentials;
        },
      },
    );
  } catch (err) {
    if (err instanceof CredentialRefreshError) throw new ToolError(`${template.name}: ${err.message}`);
    throw err;
  }
}
