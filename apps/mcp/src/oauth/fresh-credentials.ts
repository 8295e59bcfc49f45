/**
 * Access tokens of template OAuth installations, refreshed before they expire (RFC 6749 §6), one refresh at a time
 * per installation across isolates: the refresh lease in D1 (installations.refresh_lock_until) admits one refresher;
 * the others wait briefly and read what it stored. A vendor that rotates refresh tokens therefore never sees the same
 * refresh token twice from us.
 */
import {
  acquireRefreshLease,
  findInstallation,
  releaseRefreshLease,
  swapInstallationCredentials,
  type InstallationRecord,
} from '@gatehouse/integrations-adapters-cf';
import { needsRefresh, refreshAccessToken, type AuthorizationCodeAuth, type IntegrationTemplate } from '@gatehouse/catalog';
import { ToolError, type ToolContext } from '../tools/tool-types.js';

const LEASE_MS = 30_000;
const WAIT_MS = 250;
const WAIT_ROUNDS = 20;

export async function freshCredentials(
  ctx: ToolContext,
  template: IntegrationTemplate & { auth: AuthorizationCodeAuth },
  installation: InstallationRecord,
  credentials: Record<string, string>,
): Promise<Record<string, string>> {
  if (!needsRefresh(credentials)) return credentials;
  const tenant = { organizationId: installation.organizationId };
  for (let round = 0; round < WAIT_ROUNDS; round++) {
    if (await acquireRefreshLease(ctx.db, tenant, installation.id, LEASE_MS)) {
      // Re-read under the lease: another isolate may have refreshed between our read and the lease.
      const current = (await findInstallation(ctx.db, tenant, installation.id)) ?? installation;
      const latest = await ctx.config.cipher.decrypt(current.credentials);
      if (!needsRefresh(latest)) {
        await releaseRefreshLease(ctx.db, tenant, installation.id);
        return latest;
      }
      const refreshed = await refreshAccessToken(template.name, template.auth, { settings: current.settings, credentials: latest }, {
        fetch: ctx.fetch,
        allowLoopback: ctx.config.allowLoopbackUpstreams,
      });
      if (!refreshed.ok) {
        await releaseRefreshLease(ctx.db, tenant, installation.id);
        throw new ToolError(`${template.name}: ${refreshed.message}`);
      }
      // The vendor has rotated the refresh token: the new one must be stored. We hold the lease, so the only other
      // writer is key-rotation re-encryption (same plaintext, new ciphertext); on a lost swap, re-read and swap again.
      let expected = current.credentials;
      for (let attempt = 0; attempt < 3; attempt++) {
        const stored = await swapInstallationCredentials(ctx.db, tenant, {
          installationId: installation.id,
          expected,
          credentials: await ctx.config.cipher.encrypt(refreshed.credentials),
        });
        if (stored) return refreshed.credentials;
        const row = await findInstallation(ctx.db, tenant, installation.id);
        if (!row) throw new ToolError('The integration was uninstalled meanwhile.');
        expected = row.credentials;
      }
      console.error(JSON.stringify({ msg: 'refreshed OAuth tokens could not be stored', installationId: installation.id }));
      throw new ToolError(`${template.name}: the refreshed authorization could not be saved; retry in a moment.`);
    }
    await new Promise((r) => setTimeout(r, WAIT_MS));
    const row = await findInstallation(ctx.db, tenant, installation.id);
    if (!row) throw new ToolError('The integration was uninstalled meanwhile.');
    const latest = await ctx.config.cipher.decrypt(row.credentials);
    if (!needsRefresh(latest)) return latest;
  }
  throw new ToolError(`${template.name}: the access token is being refreshed; retry in a moment.`);
}
