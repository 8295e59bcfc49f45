/**
 * Key rotation for credentials at rest. Rotating is: add the new key to CREDENTIALS_KEYS, make it
 * CREDENTIALS_ACTIVE_KID (new writes use it, old rows still decrypt with the key their JWE header names), then
 * re-encrypt every row still on another key, in bounded batches, and only then retire the old key.
 *
 * Cross-tenant by nature (a maintenance job over every organization's rows); it returns counts only and never
 * logs or returns a credential.
 */
import { and, eq, isNull, lt, ne, or } from 'drizzle-orm';
import type { CredentialsCipher } from '@gatehouse/integrations-core';
import type { Db } from './db.js';
import { installations } from './schema.js';

export interface ReencryptResult {
  /** Rows now encrypted under the active key. */
  reencrypted: number;
  /** Rows skipped because they changed meanwhile (they are picked up by the next batch). */
  skipped: number;
  /** Rows whose key is not in the key set: they cannot be decrypted until that key is restored. */
  undecryptable: number;
}

/**
 * Re-encrypts up to `limit` installations not yet under `cipher.activeKid`. Each update is a compare-and-swap on
 * the old ciphertext, so a concurrent reinstall is never overwritten; all updates of a batch go in one db.batch().
 */
export async function reencryptCredentials(db: Db, cipher: CredentialsCipher, limit: number): Promise<ReencryptResult> {
  const rows = await db
    .select({
      id: installations.id,
      organizationId: installations.organizationId,
      credentials: installations.credentials,
    })
    .from(installations)
    // Rows under an OAuth refresh lease are skipped: the refresher is about to replace their credentials.
    .where(
      and(
        ne(installations.credentialsKid, cipher.activeKid),
        or(isNull(installations.refreshLockUntil), lt(installations.refreshLockUntil, Date.now())),
      ),
    )
    .limit(limit)
    .all();
  let undecryptable = 0;
  const updates = [];
  for (const row of rows) {
    let plaintext: Record<string, string>;
    try {
      plaintext = await cipher.decrypt(row.credentials);
    } catch {
      undecryptable++;
      continue;
    }
    updates.push(
      db
        .update(installations)
        .set({ credentials: await cipher.encrypt(plaintext), credentialsKid: cipher.activeKid })
        .where(
          and(
            eq(installations.id, row.id),
            eq(installations.organizationId, row.organizationId),
            eq(installations.credentials, row.credentials),
          ),
        ),
    );
  }
  if (updates.length === 0) return { reencrypted: 0, skipped: 0, undecryptable };
  const results = await db.batch(updates as [(typeof updates)[number], ...(typeof updates)[number][]]);
  const reencrypted = results.reduce((n, r) => n + r.meta.changes, 0);
  return { reencrypted, skipped: updates.length - reencrypted, undecryptable };
}
