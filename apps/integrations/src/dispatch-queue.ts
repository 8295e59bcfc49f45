/**
 * The consumer of DISPATCH_QUEUE (Cloudflare Queues): signs each SessionDispatch (a `session-dispatch` message,
 * packages/integrations-core/src/internal-message.ts) and delivers it to the main worker over RPC
 * (`MainRpc.deliverSessionDispatch` on the MAIN service binding). A refusal (an invalid dispatch, an installation
 * that no longer exists) marks the delivery `failed` at once. A thrown error (the main worker failed or could not
 * be reached) retries with exponential backoff; after max_retries (wrangler.toml) Queues moves the message to the
 * dead-letter queue, whose consumer marks the delivery `failed`, so the vendor's next redelivery queues it again.
 * Each attempt is signed afresh (a new message id), and the main worker appends each dispatch id once, so a retry
 * after a lost acknowledgement changes nothing. Each attempt, and the delivery it settles, is recorded in the run
 * history (delivery-history.ts) once the batch is handled.
 * https://developers.cloudflare.com/queues/configuration/batching-retries/
 */
import { createDb, hasThreadSession, setDeliveryStatus } from '@gatehouse/integrations-adapters-cf';
import {
  loadWorkerConfig,
  secretValuesOf,
  signInternalMessage,
  type MainRpc,
  type SessionDispatch,
  type RunHistoryItemInput,
  type SessionDispatchOutcome,
} from '@gatehouse/integrations-core';
import { dispatchAttemptItems, writeDeliveryHistory, type DispatchAttempt } from './delivery-history.js';
import type { DispatchMessage } from './webhook-pipeline.js';

export const DEAD_LETTER_QUEUE = 'gatehouse-session-dispatch-dlq';

/** Backoff before retry number `attempts` (1-based): 2, 4, 8… seconds, capped at five minutes. */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(2 ** attempts, 300);
}

/** The MAIN binding as the RPC interface it is (wrangler types types a service binding as a plain Fetcher). */
function mainRpc(env: Env): MainRpc {
  return env.MAIN as unknown as MainRpc;
}

/** Signs `dispatch` and delivers it; resolves to the main worker's answer, rejects when there was none. */
export async function sendSessionDispatch(
  main: MainRpc,
  signingKey: string,
  dispatch: SessionDispatch,
): Promise<SessionDispatchOutcome> {
  return main.deliverSessionDispatch(await signInternalMessage(signingKey, 'session-dispatch', dispatch));
}

export async function consumeDispatches(batch: MessageBatch<DispatchMessage>, env: Env): Promise<void> {
  const db = createDb(env.AUTH_DB);
  // The run-history items of this batch, written once at the end (delivery-history.ts).
  const history: Promise<RunHistoryItemInput[]>[] = [];
  const secrets = secretValuesOf(env);
  const record = (message: Message<DispatchMessage>, attempt: DispatchAttempt, startedAt: number) =>
    history.push(dispatchAttemptItems(message.body, attempt, message.attempts, startedAt, secrets));
  try {
    await consumeBatch(batch, env, db, record);
  } finally {
    await writeDeliveryHistory(db, (await Promise.all(history)).flat());
  }
}

async function consumeBatch(
  batch: MessageBatch<DispatchMessage>,
  env: Env,
  db: ReturnType<typeof createDb>,
  record: (message: Message<DispatchMessage>, attempt: DispatchAttempt, startedAt: number) => void,
): Promise<void> {
  if (batch.queue === DEAD_LETTER_QUEUE) {
    for (const message of batch.messages) {
      const { deliveryRecordId, organizationId, dispatch } = message.body;
      await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'failed');
      console.error(JSON.stringify({ msg: 'dispatch dead-lettered', dispatchId: dispatch.dispatchId }));
      record(message, { result: 'dead_lettered' }, Date.now());
      message.ack();
    }
    return;
  }
  const { signingKey } = loadWorkerConfig(env);
  for (const message of batch.messages) {
    const { deliveryRecordId, organizationId, dispatch, continuation } = message.body;
    const startedAt = Date.now();
    if (
      continuation &&
      !(await hasThreadSession(db, { organizationId }, dispatch.installationId, dispatch.threadKey))
    ) {
      // A reply in a thread that never got a session (the app was not mentioned there): nothing to continue.
      await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'ignored');
      record(message, { result: 'ignored' }, startedAt);
      message.ack();
      continue;
    }
    let outcome: SessionDispatchOutcome;
    try {
      outcome = await sendSessionDispatch(mainRpc(env), signingKey, dispatch);
    } catch (err) {
      const error = err instanceof Error ? err.message : 'unknown';
      console.error(
        JSON.stringify({
          msg: 'dispatch failed; will retry',
          dispatchId: dispatch.dispatchId,
          attempt: message.attempts,
          error,
        }),
      );
      record(message, { result: 'retried', error: error.slice(0, 300) }, startedAt);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      continue;
    }
    if (!outcome.ok && outcome.reason === 'invalid_signature') {
      // The two workers deploy separately: during an MCP_SIGNING_KEY rotation one may hold the new key before the
      // other. Retried with backoff (and dead-lettered if it lasts), never failed at once.
      console.error(JSON.stringify({ msg: 'dispatch signature refused; will retry', dispatchId: dispatch.dispatchId }));
      record(message, { result: 'retried', error: 'the main worker refused the signature' }, startedAt);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      continue;
    }
    if (!outcome.ok) {
      // Permanent: no retries, no dead-letter round trip; the delivery is failed (a vendor redelivery may try again).
      await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'failed');
      console.error(
        JSON.stringify({
          msg: 'dispatch refused; not retried',
          dispatchId: dispatch.dispatchId,
          reason: outcome.reason,
        }),
      );
      record(message, { result: 'refused', reason: outcome.reason, message: outcome.message }, startedAt);
      message.ack();
      continue;
    }
    await setDeliveryStatus(db, { organizationId }, deliveryRecordId, 'dispatched');
    record(message, { result: 'delivered', sessionId: outcome.sessionId, appended: outcome.appended }, startedAt);
    message.ack();
  }
}
