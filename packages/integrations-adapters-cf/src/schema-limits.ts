/**
 * Rate limits of integration tool calls (rate-limits.ts): the configuration lives on workspaces and installations
 * (`rate_limit`), the state here, one row per counted key. And the health of an installation's credentials
 * (installations.health), which the call path keeps.
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

/** Why an installation's credentials last failed. */
export type CredentialFailureKind = 'upstream_401' | 'upstream_403' | 'oauth_refresh_failed';

/**
 * installations.health: when its credentials last worked and last failed (epoch ms), how, and whether the
 * installation needs re-authorization (its tools answer an error saying what to do until new credentials arrive).
 */
export interface InstallationHealth {
  lastSuccessAt?: number;
  lastFailureAt?: number;
  lastFailure?: { kind: CredentialFailureKind; message: string };
  needsReauth?: boolean;
  /** Webhook deliveries refused for their signature since the last accepted one, and the last such refusal. */
  webhookSignatureFailures?: number;
  lastWebhookSignatureFailureAt?: number;
}
