/**
 * DEVELOPMENT ONLY: keeps the local dispatch queue's messages across restarts.
 *
 * On Cloudflare a message sent to a Queue is stored until a consumer acknowledges it. Locally, Miniflare's queue
 * broker holds messages in memory: stopping `pnpm dev:integrations`, or `pnpm dev` reloading after a source change,
 * drops every message still waiting for a retry, and those events would never reach their sessions. So the
 * development entry writes each message to a table of the local AUTH_DB before sending it, deletes it when the
 * consumer acknowledges it (in the dispatch queue or its dead-letter queue), and when a fresh isolate starts it sends
 * again every message left there. A message sent twice changes nothing: the main worker appends each dispatch id
 * once (ADR 0003). Not a migration: the table exists only in local databases (`dev_dispatch_outbox`). A message the
 * dead-letter consumer never acknowledges keeps its row and is sent again at every start; the dispatch id keeps that
 * harmless. Module flags below are plain booleans (which work this isolate has done), no I/O objects.
 */
import type { DispatchMessage } from '../webhook-pipeline.js';

const CREATE = `CREATE TABLE IF NOT EXISTS dev_dispatch_outbox (
  delivery_record_id TEXT PRIMARY KEY,
  body TEXT NOT NULL,
  delay_seconds INTEGER,
  queued_at INTEGER NOT NULL
)`;

/** Whether this isolate created the table and re-sent what an earlier process left (plain flags, no I/O objects). */
let tableReady = false;
let recovered = false;

async function ensureTable(db: D1Database): Promise<void> {
  if (tableReady) return;
  await db.prepare(CREATE).run();
  tableReady = true;
}

/** DISPATCH_QUEUE that records each message before sending it. */
export function recordingQueue(queue: Queue<DispatchMessage>, db: D1Database): Queue<DispatchMessage> {
  return {
    async send(message: DispatchMessage, options?: QueueSendOptions) {
      await ensureTable(db);
      await db
        .prepare(
          'INSERT OR REPLACE INTO dev_dispatch_outbox (delivery_record_id, body, delay_seconds, queued_at) VALUES (?, ?, ?, ?)',
        )
        .bind(message.deliveryRecordId, JSON.stringify(message), options?.delaySeconds ?? null, Date.now())
        .run();
      return queue.send(message, options);
    },
    sendBatch: (messages, options) => queue.sendBatch(messages, options),
  } as Queue<DispatchMessage>;
}

/**
 * The batch with each message's `ack()` also removing its outbox row (after the production consumer has run). A
 * retried message keeps its row: it is still owed.
 */
export async function consumeRecorded(
  batch: MessageBatch<DispatchMessage>,
  db: D1Database,
  consume: (batch: MessageBatch<DispatchMessage>) => Promise<void>,
): Promise<void> {
  const acked: string[] = [];
  const messages = batch.messages.map(
    (m): Message<DispatchMessage> => ({
      id: m.id,
      timestamp: m.timestamp,
      body: m.body,
      attempts: m.attempts,
      ack: () => {
        acked.push(m.body.deliveryRecordId);
        m.ack();
      },
      retry: (options) => m.retry(options),
    }),
  );
  await consume({
    queue: batch.queue,
    metadata: batch.metadata,
    messages,
    ackAll: () => {
      for (const m of messages) m.ack();
    },
    retryAll: (options) => batch.retryAll(options),
  });
  if (acked.length === 0) return;
  await ensureTable(db);
  await db.batch(
    acked.map((id) => db.prepare('DELETE FROM dev_dispatch_outbox WHERE delivery_record_id = ?').bind(id)),
  );
}

/**
 * Once per isolate: sends again every message an earlier process recorded and never saw acknowledged. Returns how
 * many were sent (0 after the first call).
 */
export async function resendOutbox(queue: Queue<DispatchMessage>, db: D1Database): Promise<number> {
  if (recovered) return 0;
  recovered = true;
  try {
    await ensureTable(db);
    const { results } = await db
      .prepare('SELECT body, delay_seconds FROM dev_dispatch_outbox ORDER BY queued_at')
      .all<{ body: string; delay_seconds: number | null }>();
    // A delayed message (a thread reply waiting for its mention) keeps its delay: sent early it would be checked
    // before the session it continues exists.
    for (const { body, delay_seconds } of results)
      await queue.send(JSON.parse(body) as DispatchMessage, delay_seconds ? { delaySeconds: delay_seconds } : {});
    if (results.length > 0)
      console.log(
        JSON.stringify({ msg: 'dev: re-sent dispatches an earlier process left queued', count: results.length }),
      );
    return results.length;
  } catch (err) {
    recovered = false;
    throw err;
  }
}
