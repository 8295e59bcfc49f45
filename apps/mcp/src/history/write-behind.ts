/**
 * Write-behind for run-history items: an item recorded after a tool call's answer joins a per-isolate buffer, and
 * the first request to add to an empty buffer flushes it a moment later in its own `waitUntil`, in one D1 batch
 * for every item gathered meanwhile. A D1 round trip per call would cost more than the calls it records
 * (`pnpm bench`, the run history rows); one per flush is shared by the calls of that window.
 *
 * The buffer holds plain items (values: STYLE "isolate caches hold values, never a promise"); the flushing request
 * performs the I/O itself, in its own context. An isolate that is evicted between an add and its flush loses those
 * items (at most FLUSH_DELAY_MS of them): the run history is a record kept on a best-effort basis, never a
 * condition of the call. A failed flush is logged with how many items it lost.
 */
import { recordRunHistory, type Db } from '@gatehouse/integrations-adapters-cf';
import type { RunHistoryItemInput } from '@gatehouse/integrations-core';

/**
 * How long the first item waits for others before the batch is written, milliseconds: long enough that a busy
 * isolate writes tens of items per D1 batch, short enough that a person reading the history right after a call
 * finds it.
 */
export const FLUSH_DELAY_MS = 100;
/** Most items one D1 batch writes; the rest go in the next batch of the same flush. */
export const MAX_FLUSH_ITEMS = 100;

/** A flush scheduled this long ago that has not run is presumed lost (its request's waitUntil ended), ms. */
export const FLUSH_STALE_MS = 5_000;
/** Most items one isolate holds; beyond, the oldest are dropped (and counted in the log): memory stays bounded. */
export const MAX_BUFFERED_ITEMS = 1_000;

interface Buffer {
  items: RunHistoryItemInput[];
  /** When the pending flush was scheduled, or null when none is. */
  scheduledAt: number | null;
}

/** Items waiting, per D1 binding object (so per isolate and database). */
const buffers = new WeakMap<object, Buffer>();

/**
 * Queues `item` for the database behind `d1`. When no flush is pending (or the pending one is presumed lost),
 * `waitUntil` receives one (after FLUSH_DELAY_MS); otherwise the request that scheduled it writes this item too.
 */
export function recordLater(
  d1: object,
  db: Db,
  bucket: R2Bucket | null,
  item: RunHistoryItemInput,
  waitUntil: (promise: Promise<unknown>) => void,
): void {
  let buffer = buffers.get(d1);
  if (!buffer) {
    buffer = { items: [], scheduledAt: null };
    buffers.set(d1, buffer);
  }
  buffer.items.push(item);
  if (buffer.items.length > MAX_BUFFERED_ITEMS) {
    const dropped = buffer.items.splice(0, buffer.items.length - MAX_BUFFERED_ITEMS);
    console.error(JSON.stringify({ msg: 'run history buffer full; items dropped', items: dropped.length }));
  }
  const now = Date.now();
  if (buffer.scheduledAt === null || now - buffer.scheduledAt > FLUSH_STALE_MS) {
    buffer.scheduledAt = now;
    waitUntil(flushSoon(buffer, db, bucket));
  }
}

async function flushSoon(buffer: Buffer, db: Db, bucket: R2Bucket | null): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, FLUSH_DELAY_MS));
  while (buffer.items.length > 0) {
    const items = buffer.items.splice(0, MAX_FLUSH_ITEMS);
    try {
      await recordRunHistory(db, bucket, items);
    } catch (err) {
      console.error(
        JSON.stringify({
          msg: 'run history write failed',
          kinds: [...new Set(items.map((i) => i.kind))],
          items: items.length,
          error: err instanceof Error ? err.name : 'unknown',
        }),
      );
    }
  }
  buffer.scheduledAt = null;
}
