/**
 * The consumer of DISPATCH_QUEUE (Cloudflare Queues): signs each SessionDispatch and sends it to the main worker.
 * A refusal for good (4xx) marks the delivery `failed` at once. Any other failure retries with exponential backoff; after max_retries (wrangler.toml) Queues moves it to the
 * dead-letter queue, whose consumer marks the delivery `failed`, so the vendor's next redelivery queues it again.
 * The main worker appends each dispatch id once, so a retry after a lost acknowledgement changes nothing.
 * https://developers.cloudflare.com/queues/configuration/batching-retries/
 */
import { createDb, hasThreadSession, setDeliveryStatus } from '@gatehouse/integrations-adapters-cf';
import { loadWorkerConfig } from '@gatehouse/integrations-core';
import { DispatchRefusedError, sendSessionDispatch, type DispatchMessage } from './webhook-pipeline.js';

export const DEAD_LETTER_QUEUE = 'gatehouse-session-dispatch-dlq';

/** Backoff before retry number `attempts` (1-based): 2, 4, 8… seconds, capped at five minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(2 ** attempts, 300);
}

export async function consumeDispatches(batch: MessageBatch<DispatchMessage>, env: Env): Promise<void> {
  const db = createDb(env.AUTH_DB);
  if (batch.queue === DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) {
      const { deliveryRecordId, organizationId, dispatch } = message.body;
      await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'failed');
      console.error(JSON.stringify({ msg: 'dispatch dead-lettered', dispatchId: dispatch.dispatchId }));
      message.ack();
    }
    return;
  }
  const { signingKey } = loadWorkerConfig(env);
  for (const message of batch.messages) {
    const { deliveryRecordId, organizationId, dispatch, continuation } = message.body;
    if (continuation && !(await hasThreadSession(db, { organizationId }, dispatch.provider, dispatch.threadKey))) {
      // A reply in a thread that never got a session (the app was not mentioned there): nothing to continue.
      await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'ignored');
      message.ack();
      continue;
    }
    try {
      await sendSessionDispatch(env.MAIN, signingKey, dispatch);
      await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'dispatched');
      message.ack();
    } catch (err) {
      if (err instanceof DispatchRefusedError) {
        // Permanent: no retries, no dead-letter round trip; the delivery is failed (a vendor redelivery may try again).
        await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'failed');
        console.error(
          JSON.stringify({ msg: 'dispatch refused; not retried', dispatchId: dispatch.dispatchId, status: err.status }),
        );
        message.ack();
        continue;
      }
      console.error(
        JSON.stringify({
          msg: 'dispatch failed; will retry',
          dispatchId: dispatch.dispatchId,
          attempt: message.attempts,
          error: err instanceof Error ? err.message : 'unknown',
        }),
      );
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}
