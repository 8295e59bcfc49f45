/**
 * Agent sessions fed by webhook dispatches. A session is keyed by (installation, external thread): vendor thread keys
 * are global, so the same thread seen by two installations (or claimed by a second one) is two sessions, and no
 * installation's deliveries reach another's session. Each dispatch appends one event, keyed by its dispatch id so a
 * repeated dispatch appends nothing.
 */
import { and, asc, desc, eq, isNull, or, sql } from 'drizzle-orm';
import type { OrgTenant, SessionDispatchInput, WorkspaceTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { publications, sessionEvents, sessions } from './schema.js';

export type SessionRecord = typeof sessions.$inferSelect;
export type SessionEventRecord = typeof sessionEvents.$inferSelect;

/**
 * Creates the session for the dispatch's thread or appends to it, in one batch: upsert the session, insert the
 * event (ignored when the dispatch id exists), read both back. `appended` is false for a repeated dispatch. The
 * session's status follows the newest new dispatch: `closed` when it closes the thread, `active` otherwise; a
 * repeated dispatch changes nothing.
 */
export async function appendSessionDispatch(
  db: Db,
  tenant: OrgTenant,
  dispatch: SessionDispatchInput,
): Promise<{ sessionId: string; appended: boolean }> {
  if (dispatch.organizationId !== tenant.organizationId) throw new Error('dispatch belongs to another tenant');
  const now = Date.now();
  const status = dispatch.closesThread ? 'closed' : 'active';
  const threadWhere = and(
    eq(sessions.organizationId, tenant.organizationId),
    eq(sessions.installationId, dispatch.installationId),
    eq(sessions.threadKey, dispatch.threadKey),
  );
  // The session's own publication, once (a later dispatch to the same thread adds none), in the same batch.
  const pub = dispatch.publication;
  const publicationInsert = pub
    ? [
        db.insert(publications).select(
          db
            .select({
              id: sql<string>`${newId()}`.as('id'),
              organizationId: sessions.organizationId,
              installationId: sessions.installationId,
              sessionId: sessions.id,
              granularity: sql<'workspace' | 'issue' | 'user'>`${pub.granularity}`.as('granularity'),
              target: sql<string>`${pub.target}`.as('target'),
              scopes: sql<string>`${JSON.stringify(pub.scopes)}`.as('scopes'),
              createdAt: sql<number>`${now}`.as('created_at'),
            })
            .from(sessions)
            .where(
              and(
                threadWhere,
                sql`not exists (select 1 from ${publications} where ${publications.sessionId} = ${sessions.id})`,
              ),
            ),
        ),
      ]
    : [];
  const results = await db.batch([
    db
      .insert(sessions)
      .values({
        id: newId(),
        organizationId: tenant.organizationId,
        workspaceId: dispatch.workspaceId,
        installationId: dispatch.installationId,
        provider: dispatch.provider,
        threadKey: dispatch.threadKey,
        title: dispatch.title,
        status,
        reply: dispatch.reply ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoUpdate({
        target: [sessions.installationId, sessions.threadKey],
        // Only a dispatch not seen before moves the status (a redelivered close must not undo a later reopen).
        set: {
          updatedAt: now,
          ...(dispatch.reply ? { reply: dispatch.reply } : {}),
          status: sql`case when exists (select 1 from ${sessionEvents} where ${sessionEvents.dispatchId} = ${dispatch.dispatchId}) then ${sessions.status} else ${status} end`,
        },
      }),
    // INSERT … SELECT so the event row takes the session id chosen by the upsert above, in the same batch.
    db
      .insert(sessionEvents)
      .select(
        db
          .select({
            id: sql<string>`${newId()}`.as('id'),
            organizationId: sessions.organizationId,
            sessionId: sessions.id,
            dispatchId: sql<string>`${dispatch.dispatchId}`.as('dispatch_id'),
            source: sessions.provider,
            eventName: sql<string>`${dispatch.event.name}`.as('event_name'),
            actor: sql<string | null>`${dispatch.event.actor}`.as('actor'),
            summary: sql<string>`${dispatch.event.summary}`.as('summary'),
            data: sql<string>`${JSON.stringify(dispatch.event.data)}`.as('data'),
            createdAt: sql<number>`${now}`.as('created_at'),
          })
          .from(sessions)
          .where(threadWhere),
      )
      .onConflictDoNothing({ target: sessionEvents.dispatchId }),
    ...publicationInsert,
    db.select({ id: sessions.id }).from(sessions).where(threadWhere),
  ]);
  const inserted = results[1] as { meta: { changes: number } };
  const session = results[results.length - 1] as { id: string }[];
  const sessionId = session[0]?.id;
  if (!sessionId) throw new Error('session upsert returned no row');
  return { sessionId, appended: inserted.meta.changes > 0 };
}

/** Sessions visible in a workspace: from Global installations (no workspace) or from this workspace's Local ones. */
function visibleIn(tenant: WorkspaceTenant) {
  return and(
    eq(sessions.organizationId, tenant.organizationId),
    or(isNull(sessions.workspaceId), eq(sessions.workspaceId, tenant.workspaceId)),
  );
}

/** Sessions visible in the workspace, most recently updated first; only those with `status` when given. */
export async function listSessions(
  db: Db,
  tenant: WorkspaceTenant,
  limit = 50,
  status?: SessionRecord['status'],
): Promise<SessionRecord[]> {
  return db
    .select()
    .from(sessions)
    .where(and(visibleIn(tenant), status ? eq(sessions.status, status) : undefined))
    .orderBy(desc(sessions.updatedAt))
    .limit(limit)
    .all();
}

/** One session visible in the workspace, with its events in order, or null. */
export async function getSessionWithEvents(db: Db, tenant: WorkspaceTenant, sessionId: string) {
  const session = await db
    .select()
    .from(sessions)
    .where(and(visibleIn(tenant), eq(sessions.id, sessionId)))
    .get();
  if (!session) return null;
  const [events, pubs] = await Promise.all([
    db
      .select()
      .from(sessionEvents)
      .where(and(eq(sessionEvents.organizationId, tenant.organizationId), eq(sessionEvents.sessionId, sessionId)))
      // Arrival order: events appended in the same millisecond keep their insertion (rowid) order.
      .orderBy(asc(sessionEvents.createdAt), asc(sql`${sessionEvents}.rowid`))
      .all(),
    sessionPublications(db, tenant, sessionId),
  ]);
  return { ...session, events, publications: pubs };
}

export type PublicationRecord = typeof publications.$inferSelect;

/** The publications attached to a session of the tenant. */
export async function sessionPublications(db: Db, tenant: OrgTenant, sessionId: string): Promise<PublicationRecord[]> {
  return db
    .select()
    .from(publications)
    .where(and(eq(publications.organizationId, tenant.organizationId), eq(publications.sessionId, sessionId)))
    .all();
}

/** Whether the installation has a session on this thread (events that only continue one need it). */
export async function hasThreadSession(
  db: Db,
  tenant: OrgTenant,
  installationId: string,
  threadKey: string,
): Promise<boolean> {
  const row = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.organizationId, tenant.organizationId),
        eq(sessions.installationId, installationId),
        eq(sessions.threadKey, threadKey),
      ),
    )
    .get();
  return row !== undefined;
}

/** A session of the organization by id (any workspace: the caller checks visibility), or null. */
export async function findSession(db: Db, tenant: OrgTenant, sessionId: string): Promise<SessionRecord | null> {
  return (
    (await db
      .select()
      .from(sessions)
      .where(and(eq(sessions.organizationId, tenant.organizationId), eq(sessions.id, sessionId)))
      .get()) ?? null
  );
}

/**
 * Grants an installation a publication that is not tied to a session: `workspace` (target = workspace id) or `user`
 * (target = user id) granularity, for tool calls made without `_session`.
 */
export async function createPublication(
  db: Db,
  tenant: OrgTenant,
  input: { installationId: string; granularity: 'workspace' | 'user'; target: string; scopes: string[] },
): Promise<PublicationRecord> {
  const row: PublicationRecord = {
    id: newId(),
    organizationId: tenant.organizationId,
    sessionId: null,
    createdAt: Date.now(),
    ...input,
  };
  await db.insert(publications).values(row);
  return row;
}

/** An installation's publications that are not tied to a session. */
export async function installationPublications(
  db: Db,
  tenant: OrgTenant,
  installationId: string,
): Promise<PublicationRecord[]> {
  return db
    .select()
    .from(publications)
    .where(
      and(
        eq(publications.organizationId, tenant.organizationId),
        eq(publications.installationId, installationId),
        isNull(publications.sessionId),
      ),
    )
    .all();
}
