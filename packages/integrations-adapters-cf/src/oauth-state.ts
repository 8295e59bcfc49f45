/**
 * OAuth `state` values for installs that go through a vendor's authorization page (RFC 6749 §10.12: state binds the
 * callback to the request that started it). Only the SHA-256 of the state is stored; a state is single-use and
 * expires. Consuming one is the read that starts without a tenant: the unguessable state names it.
 */
import { and, eq, gt, isNull } from 'drizzle-orm';
import { randomBase64Url, sha256Hex, type OrgTenant } from '@gatehouse/integrations-core';
import type { Db } from './db.js';
import { oauthState } from './schema.js';

/** How long an authorization URL stays usable, milliseconds. */
export const OAUTH_STATE_TTL_MS = 10 * 60 * 1000;

/** 32 random bytes, base64url: unguessable, URL-safe. */
const randomState = () => randomBase64Url(32);

/** Stores a new state for the tenant with an encrypted payload (JWE); returns the state to put in the URL. */
export async function createOAuthState(
  db: Db,
  tenant: OrgTenant & { workspaceId: string | null },
  input: { provider: string; userId: string; payload: string },
  now = Date.now(),
): Promise<{ state: string; expiresAt: number }> {
  const state = randomState();
  const expiresAt = now + OAUTH_STATE_TTL_MS;
  await db.insert(oauthState).values({
    stateHash: await sha256Hex(state),
    organizationId: tenant.organizationId,
    workspaceId: tenant.workspaceId,
    provider: input.provider,
    userId: input.userId,
    payload: input.payload,
    createdAt: now,
    expiresAt,
    consumedAt: null,
  });
  return { state, expiresAt };
}

/**
 * Consumes a state exactly once (compare-and-swap on consumed_at) if it exists and has not expired. Returns its row,
 * or null for an unknown, reused or expired state: the caller refuses the callback.
 */
export async function consumeOAuthState(db: Db, state: string, now = Date.now()) {
  const rows = await db
    .update(oauthState)
    .set({ consumedAt: now })
    .where(
      and(
        eq(oauthState.stateHash, await sha256Hex(state)),
        isNull(oauthState.consumedAt),
        gt(oauthState.expiresAt, now),
      ),
    )
    .returning();
  return rows[0] ?? null;
}
