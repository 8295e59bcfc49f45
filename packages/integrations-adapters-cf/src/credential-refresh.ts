/**
 * Refreshing an installation's OAuth tokens, one refresh at a time across isolates: the refresh lease
 * (installations.refresh_lock_until) admits one refresher; the others wait briefly and read what it stored, so a
 * vendor that rotates refresh tokens never sees the same one twice from us. The new credentials are stored with a
 * compare-and-swap, retried when key-rotation re-encryption changed the ciphertext meanwhile.
 *
 * Storage mechanics only: what "needs a refresh" means and how to refresh are the caller's (template auth or a
 * provider's token endpoint).
 */
import type { CredentialsCipher, OrgTenant } from '@gatehouse/integrations-core';
import type { Db } from './db.js';
import {
  acquireRefreshLease,
  findInstallation,
  releaseRefreshLease,
  swapInstallationCredentials,
  type InstallationRecord,
} from './installations.js';

export class CredentialRefreshError extends Error {
  override name = 'CredentialRefreshError';
  /** The vendor answered and refused (a revoked grant), rather than failing to answer: worth a re-authorization. */
  readonly refused: boolean;
  constructor(message: string, options: { refused?: boolean } = {}) {
    super(message);
    this.refused = options.refused ?? false;
  }
}

const LEASE_MS = 30_000;
const WAIT_MS = 250;
const WAIT_ROUNDS = 20;

export interface RefreshOptions {
  needsRefresh: (credentials: Record<string, string>) => boolean;
  /** Obtains new credentials from the old ones; throws CredentialRefreshError with a message for the caller. */
  refresh: (credentials: Record<string, string>, installation: InstallationRecord) => Promise<Record<string, string>>;
}

/** Fresh credentials for the installation, refreshing them (under the lease) when `needsRefresh` says so. */
export async function freshInstallationCredentials(
  db: Db,
  tenant: OrgTenant,
  cipher: CredentialsCipher,
  installation: InstallationRecord,
  credentials: Record<string, string>,
  options: RefreshOptions,
): Promise<Record<string, string>> {
  if (!options.needsRefresh(credentials)) return credentials;
  for (let round = 0; round < WAIT_ROUNDS; round++) {
    if (await acquireRefreshLease(db, tenant, installation.id, LEASE_MS)) {
      // Re-read under the lease: another isolate may have refreshed between our read and the lease.
      const current = (await findInstallation(db, tenant, installation.id)) ?? installation;
      const latest = await cipher.decrypt(current.credentials);
      if (!options.needsRefresh(latest)) {
        await releaseRefreshLease(db, tenant, installation.id);
        return latest;
      }
      let refreshed: Record<string, string>;
      try {
        refreshed = await options.refresh(latest, current);
      } catch (err) {
        await releaseRefreshLease(db, tenant, installation.id);
        throw err;
      }
      let expected = current.credentials;
      for (let attempt = 0; attempt < 3; attempt++) {
        if (
          await swapInstallationCredentials(db, tenant, {
            installationId: installation.id,
            expected,
            credentials: await cipher.encrypt(refreshed),
          })
        )
          return refreshed;
        const row = await findInstallation(db, tenant, installation.id);
        if (!row) throw new CredentialRefreshError('the integration was uninstalled meanwhile');
        expected = row.credentials;
      }
      throw new CredentialRefreshError('the refreshed authorization could not be saved; retry in a moment');
    }
    await new Promise((r) => setTimeout(r, WAIT_MS));
    const row = await findInstallation(db, tenant, installation.id);
    if (!row) throw new CredentialRefreshError('the integration was uninstalled meanwhile');
    const latest = await cipher.decrypt(row.credentials);
    if (!options.needsRefresh(latest)) return latest;
  }
  throw new CredentialRefreshError('the access token is being refreshed; retry in a moment');
}
