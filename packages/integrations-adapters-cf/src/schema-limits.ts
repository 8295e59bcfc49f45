/**
 * Rate limits of integration tool calls (rate-limits.ts): the configuration lives on workspaces and installations
 * (`rate_limit`), the state here, one row per counted key.
 */
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Requests a minute and the burst allowed above that rate (GCRA: at most `burst` calls at once). */
export interface RateLimit {
  requestsPerMinute: number;
  burst: number;
}

/**
 * GCRA state per key (`<organization>:<installation>:<tool>:<user or agent>`): the theoretical arrival time of the
 * next call, epoch milliseconds. Rows whose `tat` has passed carry no state (a full burst is available) and are
 * purged by the main worker's cron.
 */
export const rateLimitBuckets = sqliteTable(
  'rate_limit_buckets',
  {
    key: text('key').primaryKey(),
    tat: integer('tat').notNull(),
  },
  (t) => [index('rate_limit_buckets_tat').on(t.tat)],
);
