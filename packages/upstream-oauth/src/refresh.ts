/**
 * Short-lived access tokens of OAuth installations (templates and providers alike), renewed before they expire:
 * a refresh-token grant (RFC 6749 §6) or a vendor's equivalent (a new GitHub App installation token), through the
 * flow's `refresh`. One renewal at a time per installation (integrations-adapters-cf freshInstallationCredentials:
 * a D1 lease, a re-read under it, a compare-and-swap), so a rotated refresh token is never used twice.
 */
import {
  CredentialRefreshError,
  freshInstallationCredentials,
  type Db,
  type InstallationRecord,
} from '@gatehouse/integrations-adapters-cf';
import { ACCESS_TOKEN_EXPIRES_AT, needsRefresh } from '@gatehouse/catalog';
import type { CredentialsCipher, InstallFlowContext, OAuthInstallFlow } from '@gatehouse/integrations-core';

/** Credentials that carry an expiry and are within a minute of it (catalog REFRESH_EARLY_MS) need renewing. */
function expiring(credentials: Record<string, string>): boolean {
  return credentials[ACCESS_TOKEN_EXPIRES_AT] !== undefined && needsRefresh(credentials);
}

/**
 * The installation's credentials, renewed first when they expire soon and the flow can renew them. A renewal the
 * vendor cannot do is `{ ok: false, message, refused }` (for a tool error: the service and what to do, never a
 * token); `refused` when the vendor answered with a refusal (its token endpoint's HTTP error, e.g. `invalid_grant`)
 * rather than not answering. Anything else unexpected throws.
 */
export async function currentCredentials(
  db: Db,
  cipher: CredentialsCipher,
  installation: InstallationRecord,
  credentials: Record<string, string>,
  flow: Pick<OAuthInstallFlow, 'refresh'> | null,
  outbound: InstallFlowContext['outbound'],
): Promise<{ ok: true; credentials: Record<string, string> } | { ok: false; message: string; refused: boolean }> {
  const refresh = flow?.refresh;
  if (!refresh || !expiring(credentials)) return { ok: true, credentials };
  try {
    const fresh = await freshInstallationCredentials(
      db,
      { organizationId: installation.organizationId },
      cipher,
      installation,
      credentials,
      {
        needsRefresh: expiring,
        refresh: async (latest, current) => {
          const res = await refresh(latest, { settings: current.settings, outbound });
          if (!res.ok)
            throw new CredentialRefreshError(`could not renew the access token: ${res.message}`, {
              refused: res.refused === true,
            });
          return res.credentials;
        },
      },
    );
    return { ok: true, credentials: fresh };
  } catch (err) {
    if (err instanceof CredentialRefreshError) return { ok: false, message: err.message, refused: err.refused };
    throw err;
  }
}
