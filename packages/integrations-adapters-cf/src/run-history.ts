/**
 * Run history storage (docs/d1-schema.md, `run_history_items`): index rows in AUTH_DB, detail documents inline
 * when small and in R2 (the RUN_HISTORY bucket) when not. Writers hand over redacted items
 * (packages/integrations-core run-history.ts); this module only stores, reads and purges them.
 *
 * An item is written only while its organization records history (`run_history_retention_days` > 0), and expires
 * after that many days: one INSERT … SELECT from `organizations` computes both, so a writer needs no extra read.
 */
import { and, desc, eq, gt, gte, inArray, isNotNull, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import {
  clipSummary,
  fitJson,
  type OrgTenant,
  type RunHistoryItemInput,
  type RunHistoryKind,
  type RunHistoryStatus,
} from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { organizations, runHistoryItems } from './schema.js';

export type RunHistoryRecord = typeof runHistoryItems.$inferSelect;
/** A row without its detail document: what lists and searches return. */
export type RunHistorySummary = Omit<RunHistoryRecord, 'detail'>;

/**
 * An item as the history tools and the admin CLI show it (snake_case, times in ISO 8601), without its detail.
 */
export function runHistoryItemView(r: RunHistorySummary) {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    at: new Date(r.startedAt).toISOString(),
    duration_ms: r.durationMs,
    summary: r.summary,
    reason: r.reason,
    tool: r.tool,
    integration: r.installationId,
    provider: r.provider,
    session: r.sessionId,
    trace: r.traceId,
    who: { type: r.actorType, id: r.actorId, user: r.userId },
    workspace: r.workspaceId,
    detail_bytes: r.bodyBytes,
  };
}

/** Detail documents up to this size (bytes of JSON) stay in the D1 row; larger ones go to R2. */
export const INLINE_DETAIL_BYTES = 8 * 1024;
const DAY_MS = 86_400_000;

/** The R2 key of an item's detail document. */
export function runHistoryBodyKey(organizationId: string, id: string): string {
  return `run-history/${organizationId}/${id}.json`;
}

/**
 * Stores items: each detail document inline when it fits INLINE_DETAIL_BYTES, else in `bucket` (written before the
 * row, so a row never names a missing object), or cut to fit inline when there is no bucket (fitJson marks what was
 * cut). Items of an organization that records nothing are dropped; an item whose id exists is left as it was.
 * Throws when storage fails (writers log it: history never fails the call it records).
 */
export async function recordRunHistory(
  db: Db,
  bucket: R2Bucket | null,
  items: readonly RunHistoryItemInput[],
): Promise<void> {
  if (items.length === 0) return;
  const rows = await Promise.all(
    items.map(async (item) => {
      const id = item.id ?? newId();
      let detail = item.detail === null ? null : JSON.stringify(item.detail);
      const bytes = detail === null ? 0 : new TextEncoder().encode(detail).length;
      let bodyKey: string | null = null;
      if (detail !== null && bytes > INLINE_DETAIL_BYTES) {
        if (bucket) {
          bodyKey = runHistoryBodyKey(item.organizationId, id);
          await bucket.put(bodyKey, detail, { httpMetadata: { contentType: 'application/json' } });
          detail = null;
        } else {
          detail = JSON.stringify(fitJson(item.detail, INLINE_DETAIL_BYTES));
        }
      }
      return { ...item, id, detail, bodyKey, bodyBytes: bytes };
    }),
  );
  // Raw D1 statements: drizzle's batch takes query builders only, and INSERT … SELECT with bound literals is one
  // statement in SQL.
  const d1 = db.$client;
  const results = await d1.batch(
    rows.map((r) =>
      d1
        .prepare(INSERT_ITEM)
        .bind(
          r.id,
          r.workspaceId,
          r.kind,
          r.status,
          r.startedAt,
          r.durationMs,
          r.actorType,
          r.actorId,
          r.userId,
          r.installationId,
          r.provider,
          r.tool,
          r.sessionId,
          r.traceId,
          clipSummary(r.summary),
          r.reason,
          r.detail,
          r.bodyKey,
          r.bodyBytes,
          r.startedAt,
          DAY_MS,
          r.organizationId,
        ),
    ),
  );
  // A body whose row was not written (the organization stopped recording since the caller looked) would never be
  // purged: delete it now. A row that existed already (a retried delivery) names its own, earlier object.
  const orphans = rows.filter((r, i) => r.bodyKey && results[i]?.meta.changes === 0).map((r) => r.bodyKey!);
  if (bucket && orphans.length) await bucket.delete(orphans);
}

/**
 * One item, its expiry from the organization's retention; nothing when the organization records none. An item
 * written again under its id (a queue retry's delivery item) only gains the session it lacked.
 */
const INSERT_ITEM = `insert into run_history_items (id, organization_id, workspace_id, kind, status,
  started_at, duration_ms, actor_type, actor_id, user_id, installation_id, provider, tool, session_id, trace_id,
  summary, reason, detail, body_key, body_bytes, expires_at)
  select ?1, o.id, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
  ?20 + o.run_history_retention_days * ?21
  from organizations o where o.id = ?22 and o.run_history_retention_days > 0
  on conflict (id) do update set session_id = coalesce(run_history_items.session_id, excluded.session_id)`;

/**
 * Who reads: ADMIN and up see the whole organization (`all`); a MEMBER sees the items they caused and the items
 * of sessions visible in their workspace (from Global installations, or their workspace's Local ones).
 */
export interface RunHistoryViewer extends OrgTenant {
  all: boolean;
  userId: string;
  workspaceId: string;
  /** The organization's retention now: older items are not shown, whatever their stored expiry (purged later). */
  retentionDays: number;
}

function visibleTo(viewer: RunHistoryViewer, now = Date.now()): SQL {
  const org = and(
    eq(runHistoryItems.organizationId, viewer.organizationId),
    gt(runHistoryItems.expiresAt, now),
    gt(runHistoryItems.startedAt, now - viewer.retentionDays * DAY_MS),
  )!;
  if (viewer.all) return org;
  return and(
    org,
    or(
      eq(runHistoryItems.userId, viewer.userId),
      and(
        isNotNull(runHistoryItems.sessionId),
        or(isNull(runHistoryItems.workspaceId), eq(runHistoryItems.workspaceId, viewer.workspaceId)),
      ),
    ),
  )!;
}

/** Filters of a search; all optional, combined with AND. Times are milliseconds since the Unix epoch. */
export interface RunHistoryFilter {
  installationId?: string;
  tool?: string;
  sessionId?: string;
  traceId?: string;
  status?: RunHistoryStatus;
  kind?: RunHistoryKind;
  since?: number;
  until?: number;
  /** Case-insensitive substring of the summary, tool or reason. */
  text?: string;
}

/** Where a page ends: the last row's time and id (newest first, ties by id). */
export interface RunHistoryCursor {
  startedAt: number;
  id: string;
}

const summaryColumns = {
  id: runHistoryItems.id,
  organizationId: runHistoryItems.organizationId,
  workspaceId: runHistoryItems.workspaceId,
  kind: runHistoryItems.kind,
  status: runHistoryItems.status,
  startedAt: runHistoryItems.startedAt,
  durationMs: runHistoryItems.durationMs,
  actorType: runHistoryItems.actorType,
  actorId: runHistoryItems.actorId,
  userId: runHistoryItems.userId,
  installationId: runHistoryItems.installationId,
  provider: runHistoryItems.provider,
  tool: runHistoryItems.tool,
  sessionId: runHistoryItems.sessionId,
  traceId: runHistoryItems.traceId,
  summary: runHistoryItems.summary,
  reason: runHistoryItems.reason,
  bodyKey: runHistoryItems.bodyKey,
  bodyBytes: runHistoryItems.bodyBytes,
  expiresAt: runHistoryItems.expiresAt,
};

/** `%`, `_` and the escape character itself taken literally in a LIKE pattern (ESCAPE '\'). */
function likeContains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Items visible to `viewer` that match `filter`, newest first, at most `limit`, after `cursor`. `next` is the
 * cursor of the following page, or null on the last one.
 */
export async function searchRunHistory(
  db: Db,
  viewer: RunHistoryViewer,
  filter: RunHistoryFilter,
  page: { limit: number; cursor?: RunHistoryCursor | null },
): Promise<{ items: RunHistorySummary[]; next: RunHistoryCursor | null }> {
  const t = runHistoryItems;
  const text = filter.text ? likeContains(filter.text) : null;
  const { cursor } = page;
  const rows = await db
    .select(summaryColumns)
    .from(t)
    .where(
      and(
        visibleTo(viewer),
        filter.installationId ? eq(t.installationId, filter.installationId) : undefined,
        filter.tool ? eq(t.tool, filter.tool) : undefined,
        filter.sessionId ? eq(t.sessionId, filter.sessionId) : undefined,
        filter.traceId ? eq(t.traceId, filter.traceId) : undefined,
        filter.status ? eq(t.status, filter.status) : undefined,
        filter.kind ? eq(t.kind, filter.kind) : undefined,
        filter.since !== undefined ? gte(t.startedAt, filter.since) : undefined,
        filter.until !== undefined ? lte(t.startedAt, filter.until) : undefined,
        text
          ? sql`(${t.summary} like ${text} escape '\\' or ${t.tool} like ${text} escape '\\' or ${t.reason} like ${text} escape '\\')`
          : undefined,
        cursor
          ? or(lt(t.startedAt, cursor.startedAt), and(eq(t.startedAt, cursor.startedAt), lt(t.id, cursor.id)))
          : undefined,
      ),
    )
    .orderBy(desc(t.startedAt), desc(t.id))
    .limit(page.limit + 1)
    .all();
  const items = rows.slice(0, page.limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > page.limit && last ? { startedAt: last.startedAt, id: last.id } : null };
}

/** One item visible to `viewer`, with its detail document (read from R2 when stored there), or null. */
export async function getRunHistoryItem(
  db: Db,
  bucket: R2Bucket | null,
  viewer: RunHistoryViewer,
  id: string,
): Promise<{ item: RunHistorySummary; detail: string | null; bodyMissing: boolean } | null> {
  const row = await db
    .select()
    .from(runHistoryItems)
    .where(and(visibleTo(viewer), eq(runHistoryItems.id, id)))
    .get();
  if (!row) return null;
  const { detail, ...item } = row;
  if (!row.bodyKey) return { item, detail, bodyMissing: false };
  const object = bucket ? await bucket.get(row.bodyKey) : null;
  return object ? { item, detail: await object.text(), bodyMissing: false } : { item, detail: null, bodyMissing: true };
}

/**
 * Deletes expired items, at most `limit` per call, with their R2 bodies (the objects first: a row left by a failed
 * R2 delete is purged by the next run, an object whose row is gone would never be). Returns the rows deleted.
 */
export async function purgeRunHistory(
  db: Db,
  bucket: R2Bucket | null,
  limit: number,
  now = Date.now(),
): Promise<number> {
  const expired = await db
    .select({ id: runHistoryItems.id, bodyKey: runHistoryItems.bodyKey })
    .from(runHistoryItems)
    .where(lt(runHistoryItems.expiresAt, now))
    .orderBy(runHistoryItems.expiresAt)
    .limit(limit)
    .all();
  if (expired.length === 0) return 0;
  const keys = expired.flatMap((r) => (r.bodyKey ? [r.bodyKey] : []));
  // R2 deletes up to 1,000 keys per call (https://developers.cloudflare.com/r2/api/workers/workers-api-reference/).
  if (bucket) for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
  let deleted = 0;
  // D1 binds at most 100 parameters per statement.
  for (let i = 0; i < expired.length; i += 90) {
    const ids = expired.slice(i, i + 90).map((r) => r.id);
    const res = await db.delete(runHistoryItems).where(inArray(runHistoryItems.id, ids));
    deleted += res.meta.changes;
  }
  return deleted;
}

/** Rows whose expiry one statement moves (bounded work per statement on a large history). */
const RETENTION_CHUNK = 5_000;

/**
 * Sets an organization's retention (reads apply it at once: RunHistoryViewer.retentionDays), then moves the stored
 * expiry of its items to match, RETENTION_CHUNK rows per statement, oldest first, at most `maxRows` (what is left
 * keeps its earlier expiry and is hidden or purged by it). Returns the rows moved.
 */
export async function setRunHistoryRetention(
  db: Db,
  tenant: OrgTenant,
  days: number,
  maxRows = 200_000,
): Promise<number> {
  await db
    .update(organizations)
    .set({ runHistoryRetentionDays: days })
    .where(eq(organizations.id, tenant.organizationId));
  let moved = 0;
  while (moved < maxRows) {
    const res = await db.run(sql`update ${runHistoryItems}
      set expires_at = started_at + ${days * DAY_MS}
      where id in (select id from ${runHistoryItems}
        where organization_id = ${tenant.organizationId} and expires_at <> started_at + ${days * DAY_MS}
        order by started_at limit ${RETENTION_CHUNK})`);
    moved += res.meta.changes;
    if (res.meta.changes < RETENTION_CHUNK) break;
  }
  return moved;
}
