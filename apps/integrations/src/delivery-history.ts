/**
 * The integrations worker's run-history items (packages/integrations-core run-history.ts): webhook deliveries
 * (accepted, duplicate, ignored, refused with the reason) and dispatch attempts (delivered, retried, refused,
 * dead-lettered). A delivery and its dispatches carry the trace of the session they feed (traceIdForThread), so the
 * main worker's session event and every tool call made with that `_session` join them.
 *
 * Accepted deliveries are recorded by the queue consumer, with the outcome of their first dispatch attempt and
 * under an id derived from the delivery record (a retry writes nothing twice): the webhook route's own work stays
 * one insert and one `Queue.send`. Refusals, duplicates and ignored events, which never reach the queue, are
 * recorded after the response (`waitUntil`). A history write failure is logged, never surfaced.
 */
import { recordRunHistory, type Db } from '@gatehouse/integrations-adapters-cf';
import {
  newTraceId,
  redactCredentials,
  redactRecorded,
  traceIdForThread,
  type RunHistoryItemInput,
  type RunHistoryStatus,
  type SessionDispatch,
} from '@gatehouse/integrations-core';

/** Stores items, logging (never throwing) when storage fails. Items carry no secrets (no bodies, no headers). */
export async function writeDeliveryHistory(db: Db, items: readonly RunHistoryItemInput[]): Promise<void> {
  try {
    await recordRunHistory(db, null, items);
  } catch (err) {
    console.error(
      JSON.stringify({
        msg: 'run history write failed',
        kind: items[0]?.kind ?? 'none',
        error: err instanceof Error ? err.name : 'unknown',
      }),
    );
  }
}

/** What the webhook route knows of a delivery it did not queue. */
export interface UnqueuedDelivery {
  organizationId: string;
  workspaceId: string | null;
  installationId: string;
  provider: string;
  startedAt: number;
  status: RunHistoryStatus;
  /** `duplicate`, `ignored`, or the rejection reason (`bad_signature`, `stale_timestamp`…). */
  reason: string;
  /** Verified facts only: the delivery id and event name after the signature check, else nothing. */
  deliveryId: string | null;
  eventName: string | null;
  threadKey: string | null;
}

/**
 * The item of a delivery the route answered without queuing it, redacted with `secrets` (the worker's keys and the
 * installation's). Refusals and duplicates are recorded at most once per installation, reason (delivery) and minute:
 * forged or replayed deliveries sent in a loop cannot fill the history (INSERT OR IGNORE on the derived id).
 */
export async function unqueuedDeliveryItem(
  d: UnqueuedDelivery,
  secrets: readonly string[],
): Promise<RunHistoryItemInput> {
  const what = d.eventName ? `${d.provider} ${d.eventName}` : `${d.provider} webhook`;
  const minute = Math.floor(d.startedAt / 60_000);
  const id =
    d.status === 'refused'
      ? `refused:${d.installationId}:${d.reason}:${minute}`
      : d.reason === 'duplicate'
        ? `duplicate:${d.installationId}:${d.deliveryId}:${minute}`
        : undefined;
  const item: RunHistoryItemInput = {
    ...(id ? { id } : {}),
    organizationId: d.organizationId,
    workspaceId: d.workspaceId,
    kind: 'webhook_delivery',
    status: d.status,
    startedAt: d.startedAt,
    durationMs: Date.now() - d.startedAt,
    actorType: 'webhook',
    actorId: null,
    userId: null,
    installationId: d.installationId,
    provider: d.provider,
    tool: null,
    sessionId: null,
    traceId: d.threadKey ? await traceIdForThread(d.installationId, d.threadKey) : newTraceId(),
    summary: redactCredentials(
      `${d.reason} ${what}${d.deliveryId ? ` delivery ${d.deliveryId}` : ''}${d.threadKey ? ` on ${d.threadKey}` : ''}${id ? ' (one item per minute)' : ''}`,
      secrets,
    ),
    reason: d.reason,
    // A refused delivery keeps no body: what arrived was not verified.
    detail: d.deliveryId
      ? (redactRecorded({ delivery_id: d.deliveryId, event: d.eventName, thread: d.threadKey }, secrets) as Record<
          string,
          unknown
        >)
      : null,
  };
  return item;
}

/** How one dispatch attempt ended, as the consumer saw it. */
export type DispatchAttempt =
  | { result: 'delivered'; sessionId: string; appended: boolean }
  | { result: 'retried'; error: string }
  | { result: 'refused'; reason: string; message: string }
  | { result: 'ignored' }
  | { result: 'dead_lettered' };

/**
 * The items of one dispatch attempt: the accepted delivery (first write wins: its id is the delivery record's)
 * and the attempt itself.
 */
export async function dispatchAttemptItems(
  message: { deliveryRecordId: string; organizationId: string; dispatch: SessionDispatch; receivedAt?: number },
  attempt: DispatchAttempt,
  attemptNumber: number,
  startedAt: number,
  secrets: readonly string[],
): Promise<RunHistoryItemInput[]> {
  const { dispatch } = message;
  const traceId = await traceIdForThread(dispatch.installationId, dispatch.threadKey);
  const sessionId = attempt.result === 'delivered' ? attempt.sessionId : null;
  const common = {
    organizationId: message.organizationId,
    workspaceId: dispatch.workspaceId,
    actorType: 'webhook' as const,
    actorId: null,
    userId: null,
    installationId: dispatch.installationId,
    provider: dispatch.provider,
    tool: null,
    sessionId,
    traceId,
  };
  const deliveryId = dispatch.dispatchId.split(':').slice(2).join(':');
  const receivedAt = message.receivedAt ?? startedAt;
  const status: RunHistoryStatus =
    attempt.result === 'delivered' || attempt.result === 'ignored'
      ? 'ok'
      : attempt.result === 'refused'
        ? 'refused'
        : 'error';
  const reason = attempt.result === 'refused' ? attempt.reason : attempt.result === 'delivered' ? null : attempt.result;
  const outcome =
    attempt.result === 'delivered'
      ? `delivered to session ${attempt.sessionId}${attempt.appended ? '' : ' (already there)'}`
      : attempt.result === 'retried'
        ? `failed, retried (attempt ${attemptNumber}): ${attempt.error}`
        : attempt.result === 'refused'
          ? `refused: ${attempt.message}`
          : attempt.result === 'ignored'
            ? 'ignored: the thread has no session to continue'
            : 'dead-lettered after its retries';
  const items: RunHistoryItemInput[] = [
    {
      ...common,
      id: `delivery:${message.deliveryRecordId}`,
      kind: 'webhook_delivery',
      status: 'ok',
      startedAt: receivedAt,
      durationMs: null,
      summary: `accepted ${dispatch.provider} ${dispatch.event.name} delivery ${deliveryId} on ${dispatch.threadKey}, queued as dispatch ${dispatch.dispatchId}`,
      reason: null,
      detail: {
        delivery_id: deliveryId,
        event: dispatch.event.name,
        thread: dispatch.threadKey,
        actor: dispatch.event.actor,
        summary: dispatch.event.summary,
      },
    },
    {
      ...common,
      kind: 'dispatch',
      status,
      startedAt,
      durationMs: Date.now() - startedAt,
      summary: `dispatch ${dispatch.dispatchId} ${outcome}`,
      reason,
      detail: { dispatch_id: dispatch.dispatchId, attempt: attemptNumber, outcome: attempt },
    },
  ];
  // What the vendor's event and the main worker's answer carry is data: redacted like everything recorded.
  return items.map((item) => ({
    ...item,
    summary: redactCredentials(item.summary, secrets),
    detail: redactRecorded(item.detail, secrets) as Record<string, unknown> | null,
  }));
}
