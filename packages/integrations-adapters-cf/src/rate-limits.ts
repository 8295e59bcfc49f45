/**
 * Exact rate limits shared by every isolate and process that uses AUTH_DB: GCRA, the Generic Cell Rate Algorithm
 * (ITU-T I.371 §4.4.2, the "virtual scheduling" form), one row per key holding the theoretical arrival time (TAT) of
 * the next call. A call at `now` is allowed when `max(TAT, now) − now ≤ τ` with emission interval T = 60 s ÷ rate
 * and tolerance τ = T × (burst − 1), and then moves TAT to `max(TAT, now) + T`. Check and update are one SQLite
 * upsert (`… ON CONFLICT DO UPDATE … WHERE …`), so two concurrent calls cannot both take the last token.
 *
 * Why D1 rather than a Durable Object: a limit must hold across isolates and, locally, across the two workerd
 * processes of the end-to-end stack, which share one SQLite file but not their Durable Object instances; a limit
 * costs a write only where one is configured. (The Workers rate-limiting binding is approximate per location.)
 */
import { inArray, lt, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { rateLimitBuckets, type RateLimit } from './schema-limits.js';

/** Outcome of one call against a limit: allowed, or refused with the wait (ms) until one would be. */
export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/** Counts one call for `key` under `limit` at `now` (epoch ms). */
export async function takeRateToken(db: Db, key: string, limit: RateLimit, now = Date.now()): Promise<RateDecision> {
  const interval = 60_000 / limit.requestsPerMinute;
  const tolerance = interval * (limit.burst - 1);
  const taken = await db.all<{ tat: number }>(sql`insert into ${rateLimitBuckets} (key, tat)
      values (${key}, ${now + interval})
      on conflict (key) do update set tat = max(tat, ${now}) + ${interval}
      where max(tat, ${now}) - ${now} <= ${tolerance}
      returning tat`);
  if (taken.length) return { ok: true };
  const [row] = await db.all<{ tat: number }>(sql`select tat from ${rateLimitBuckets} where key = ${key}`);
  const tat = Math.max(row?.tat ?? now, now);
  return { ok: false, retryAfterMs: Math.max(0, tat - now - tolerance) };
}

/**
 * Deletes up to `limit` buckets whose TAT has passed (they hold no state: a full burst is available). Returns how
 * many; the cron calls it until fewer come back.
 */
export async function purgeRateBuckets(db: Db, limit: number, now = Date.now()): Promise<number> {
  const stale = db.select({ key: rateLimitBuckets.key }).from(rateLimitBuckets).where(lt(rateLimitBuckets.tat, now));
  const res = await db
    .delete(rateLimitBuckets)
    .where(inArray(rateLimitBuckets.key, stale.limit(limit)))
    .run();
  return res.meta.changes;
}
