/**
 * MCP transport sessions (MCP 2025-06-18 §Session Management), kept in D1 so an Mcp-Session-Id is valid on any
 * isolate and after a restart. A session never authenticates anything: every lookup also names the organization,
 * workspace and user of the request's own credentials, so another user's token on a session finds nothing.
 */
import { and, eq, gt, isNull, lt, sql } from 'drizzle-orm';
import { randomBase64Url, type WorkspaceTenant } from '@gatehouse/integrations-core';
import type { Db } from './db.js';
import { mcpSessions } from './schema.js';

export type McpSessionRecord = typeof mcpSessions.$inferSelect;

/** Idle lifetime of a session, milliseconds (pushed forward on use). */
export const MCP_SESSION_IDLE_MS = 60 * 60 * 1000;
/** Use refreshes expiry at most this often, so a busy session does not write on every request. */
const TOUCH_EVERY_MS = 60 * 1000;

/** 32 random bytes, base64url: globally unique and unguessable, visible ASCII only. */
export function newMcpSessionId(): string {
  return randomBase64Url(32);
}

export async function createMcpSession(
  db: Db,
  tenant: WorkspaceTenant,
  input: { userId: string; protocolVersion: string; clientName: string | null },
  now = Date.now(),
): Promise<McpSessionRecord> {
  const row: McpSessionRecord = {
    id: newMcpSessionId(),
    organizationId: tenant.organizationId,
    workspaceId: tenant.workspaceId,
    userId: input.userId,
    protocolVersion: input.protocolVersion,
    clientName: input.clientName,
    createdAt: now,
    lastSeenAt: now,
    expiresAt: now + MCP_SESSION_IDLE_MS,
    endedAt: null,
    contextDeliveredAt: null,
  };
  await db.insert(mcpSessions).values(row);
  return row;
}

/** The session `id` if it belongs to this tenant and user and has neither ended nor expired. */
function liveSessionOf(tenant: WorkspaceTenant, userId: string, id: string, now: number) {
  return and(
    eq(mcpSessions.id, id),
    eq(mcpSessions.organizationId, tenant.organizationId),
    eq(mcpSessions.workspaceId, tenant.workspaceId),
    eq(mcpSessions.userId, userId),
    isNull(mcpSessions.endedAt),
    gt(mcpSessions.expiresAt, now),
  );
}

/**
 * Pushes a live session's idle expiry forward, at most once a minute (call with what the auth read returned). Returns
 * the write to wait for, or null when the session was used less than a minute ago (nothing to write, nothing to await).
 */
export function touchMcpSession(
  db: Db,
  tenant: WorkspaceTenant,
  session: { id: string; lastSeenAt: number },
  now = Date.now(),
): Promise<unknown> | null {
  if (now - session.lastSeenAt < TOUCH_EVERY_MS) return null;
  return db
    .update(mcpSessions)
    .set({ lastSeenAt: now, expiresAt: now + MCP_SESSION_IDLE_MS })
    .where(and(eq(mcpSessions.id, session.id), eq(mcpSessions.organizationId, tenant.organizationId)))
    .run();
}

/** Ends a live session of this tenant and user (DELETE /mcp). Returns false when there was none to end. */
export async function endMcpSession(
  db: Db,
  tenant: WorkspaceTenant,
  userId: string,
  id: string,
  now = Date.now(),
): Promise<boolean> {
  const res = await db
    .update(mcpSessions)
    .set({ endedAt: now, expiresAt: now })
    .where(liveSessionOf(tenant, userId, id, now))
    .run();
  return res.meta.changes > 0;
}

/**
 * Claims the once-per-session delivery of first-call context (compare-and-swap on context_delivered_at). True for
 * exactly one caller per session, even when two first calls race on different isolates.
 */
export async function claimFirstCallContext(
  db: Db,
  tenant: WorkspaceTenant,
  id: string,
  now = Date.now(),
): Promise<boolean> {
  const res = await db
    .update(mcpSessions)
    .set({ contextDeliveredAt: now })
    .where(
      and(
        eq(mcpSessions.id, id),
        eq(mcpSessions.organizationId, tenant.organizationId),
        isNull(mcpSessions.contextDeliveredAt),
      ),
    )
    .run();
  return res.meta.changes > 0;
}

/**
 * Deletes up to `limit` sessions whose expiry has passed (idle or ended), oldest first. Cross-tenant by nature: it is
 * the retention job, run by the scheduled handler, and returns only a count. Bounded so one run stays short.
 */
export async function purgeExpiredMcpSessions(db: Db, limit: number, now = Date.now()): Promise<number> {
  const res = await db.run(
    sql`delete from ${mcpSessions} where ${mcpSessions.id} in (select ${mcpSessions.id} from ${mcpSessions} where ${lt(mcpSessions.expiresAt, now)} order by ${mcpSessions.expiresAt} limit ${limit})`,
  );
  return res.meta.changes;
}
