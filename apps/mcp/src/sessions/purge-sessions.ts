/**
 * Retention of MCP sessions: the scheduled handler deletes expired (idle or ended) sessions in bounded batches, so one
 * run does bounded work however many sessions piled up.
 */
import { createDb, purgeExpiredMcpSessions } from '@gatehouse/integrations-adapters-cf';

/** Rows deleted per batch, and batches per run. */
export const PURGE_BATCH = 500;
export const PURGE_MAX_BATCHES = 20;

/** Deletes expired sessions, at most PURGE_BATCH × PURGE_MAX_BATCHES rows. Returns the count. */
export async function purgeSessions(env: Env, now = Date.now()): Promise<number> {
  const db = createDb(env.AUTH_DB);
  let total = 0;
  for (let i = 0; i < PURGE_MAX_BATCHES; i++) {
    const n = await purgeExpiredMcpSessions(db, PURGE_BATCH, now);
    total += n;
    if (n < PURGE_BATCH) break;
  }
  return total;
}
