/** The exact counts of a run, read back from AUTH_DB: delivery records by status and each marker's session events. */
import type { Delivery } from './deliveries.js';

/** Per unique delivery: stored once, more than once, or not at all; and the delivery records by status. */
export interface ReadBack {
  eventsStored: number;
  eventsDuplicated: number;
  eventsMissing: number;
  deliveries: Record<string, number>;
}

/**
 * Waits until no delivery record of the organization is still `received` (the queue has settled every one) or the
 * timeout passes, then counts each unique delivery's marker in the session events.
 */
export async function readBack(
  d1: D1Database,
  organizationId: string,
  uniques: readonly Delivery[],
  timeoutMs: number,
): Promise<ReadBack> {
  const deadline = Date.now() + timeoutMs;
  let deliveries: Record<string, number> = {};
  for (;;) {
    const { results } = await d1
      .prepare('SELECT status, count(*) AS n FROM webhook_events WHERE organization_id = ? GROUP BY status')
      .bind(organizationId)
      .all<{ status: string; n: number }>();
    deliveries = Object.fromEntries(results.map((r) => [r.status, r.n]));
    const settled =
      (deliveries.received ?? 0) === 0 && Object.values(deliveries).reduce((a, b) => a + b, 0) >= uniques.length;
    if (settled || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const { results: events } = await d1
    .prepare('SELECT summary FROM session_events WHERE organization_id = ?')
    .bind(organizationId)
    .all<{ summary: string }>();
  const seen = new Map<string, number>();
  for (const { summary } of events) {
    for (const m of summary.matchAll(/\[lt:[0-9a-f]+:\d{6}\]/g)) seen.set(m[0], (seen.get(m[0]) ?? 0) + 1);
  }
  let eventsStored = 0;
  let eventsDuplicated = 0;
  let eventsMissing = 0;
  for (const d of uniques) {
    const n = seen.get(d.marker) ?? 0;
    if (n === 1) eventsStored++;
    else if (n === 0) eventsMissing++;
    else eventsDuplicated++;
  }
  return { eventsStored, eventsDuplicated, eventsMissing, deliveries };
}
