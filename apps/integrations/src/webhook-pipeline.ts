/**
 * POST /webhook/<provider>/<installation id>: the one webhook recipe every provider goes through.
 *
 * installation from the URL (our side picks the secret, never the unverified body) → provider.parseWebhook reads
 * the raw body and verifies (fail closed) → record the delivery once under a unique key → enqueue the SessionDispatch
 * on DISPATCH_QUEUE → acknowledge (well inside every vendor's deadline). The queue consumer (dispatch-queue.ts) signs
 * it and delivers it to the main worker over RPC, with retries and a dead-letter queue. A redelivery of a dispatched or ignored event
 * is acknowledged and dispatches nothing; one still owed (failed, or received and maybe never queued) is queued
 * again under its first delivery id, which the main worker's unique dispatch id keeps a single event.
 *
 * The installation row may come from a per-isolate cache (`installationCaches`): it is then trusted only if the one
 * statement that records the delivery confirms the row unchanged; otherwise the row is read afresh.
 */
import {
  clearWebhookSignatureFailures,
  createDb,
  findProviderInstallationForWebhook,
  findTemplateInstallationForWebhook,
  hasThreadSession,
  recordDelivery,
  recordDeliveryIfInstallationUnchanged,
  recordWebhookSignatureFailure,
  setDeliveryStatus,
  type InstallationRecord,
} from '@gatehouse/integrations-adapters-cf';
import {
  readCapped,
  sha256Hex,
  type IntegrationProvider,
  type ProviderInstallation,
  secretValuesOf,
  secretValuesOfCredentials,
  type RunHistoryStatus,
  type SessionDispatch,
  type WebhookRejection,
  type WorkerConfig,
} from '@gatehouse/integrations-core';
import { jsonError } from '@gatehouse/integrations-core';
import { unqueuedDeliveryItem, writeDeliveryHistory } from './delivery-history.js';

/** Largest webhook body accepted, bytes. */
export const MAX_WEBHOOK_BYTES = 2 * 1024 * 1024;

/** A failed health write is logged, never the delivery's failure. */
function logHealth(err: unknown): void {
  console.error(
    JSON.stringify({ msg: 'webhook health not recorded', error: err instanceof Error ? err.name : 'unknown' }),
  );
}

/** The one mapping from pipeline rejections to the wire. Exhaustive: a new reason fails to compile until mapped. */
export function rejectionResponse(rejection: WebhookRejection): Response {
  switch (rejection.reason) {
    case 'missing_secret':
      // Fail closed: without a secret nothing can be verified. 401, not 500: the sender cannot fix our config, but
      // it must not be told more than "not accepted".
      return jsonError(401, 'unverifiable', 'webhook not accepted');
    case 'missing_signature':
    case 'bad_signature':
      return jsonError(401, 'invalid_signature', 'webhook signature missing or invalid');
    case 'stale_timestamp':
      return jsonError(401, 'stale_timestamp', 'webhook timestamp outside the accepted window');
    case 'missing_delivery_id':
      return jsonError(400, 'missing_delivery_id', 'the delivery id header is required');
    case 'malformed_payload':
      return jsonError(400, 'malformed_payload', 'the payload could not be parsed');
  }
}

export function toProviderInstallation(
  row: InstallationRecord,
  credentials: Record<string, string>,
): ProviderInstallation {
  return {
    id: row.id,
    organizationId: row.organizationId,
    workspaceId: row.workspaceId,
    scope: row.scope,
    title: row.title,
    settings: row.settings,
    credentials,
  };
}

/** A queued SessionDispatch with the delivery record it settles. */
export interface DispatchMessage {
  deliveryRecordId: string;
  organizationId: string;
  dispatch: SessionDispatch;
  /** A continuation: sent only if its thread has a session when consumed, else recorded as ignored. */
  continuation?: true;
  /** When the webhook route accepted it, ms since the epoch (the run history's delivery time). */
  receivedAt?: number;
}

/** How long a thread reply whose thread has no session yet waits before it is checked again, seconds. */
export const CONTINUATION_RECHECK_SECONDS = 15;

/**
 * Installation rows of recent deliveries, per D1 binding (so per isolate), plain data, least recently used first.
 * A delivery to a cached installation is verified with the cached row and recorded by one statement that inserts
 * only while the row is unchanged (recordDeliveryIfInstallationUnchanged): one D1 round trip instead of two, and a
 * disabled, removed or re-keyed installation is never trusted from the cache (the insert refuses, the row is read
 * afresh). pnpm bench, webhook ingest row.
 */
const installationCaches = new WeakMap<object, Map<string, InstallationRecord>>();
const INSTALLATION_CACHE_ENTRIES = 1024;

function installationCache(d1: object): Map<string, InstallationRecord> {
  let cache = installationCaches.get(d1);
  if (!cache) {
    cache = new Map();
    installationCaches.set(d1, cache);
  }
  return cache;
}

export async function handleWebhook(
  req: Request,
  provider: IntegrationProvider,
  installationId: string,
  env: Env,
  config: WorkerConfig,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<Response> {
  const startedAt = Date.now();
  // Vendors' payloads are well under this (GitHub caps deliveries at 25 MB but issue and comment events are small);
  // anything larger is refused before it is buffered.
  if (Number(req.headers.get('content-length') ?? '0') > MAX_WEBHOOK_BYTES)
    return jsonError(413, 'payload_too_large', `webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes`);
  const raw = await readCapped(req, MAX_WEBHOOK_BYTES);
  if (raw === null)
    return jsonError(413, 'payload_too_large', `webhook bodies are limited to ${MAX_WEBHOOK_BYTES} bytes`);
  const db = createDb(env.AUTH_DB);
  const cache = installationCache(env.AUTH_DB);
  const key = `${provider.id}\u0000${installationId}`;
  const cached = cache.get(key);
  if (cached) {
    const answer = await acceptDelivery(
      req,
      raw,
      provider,
      cached,
      { fromCache: true, startedAt, waitUntil },
      db,
      env,
      config,
    );
    if (answer) {
      cache.delete(key);
      cache.set(key, cached);
      return answer;
    }
    // Not confirmed (a duplicate, a rejection, or the installation changed): the full path, with the row read afresh.
    cache.delete(key);
  }
  const row =
    provider.installationKind === 'template'
      ? await findTemplateInstallationForWebhook(db, installationId)
      : await findProviderInstallationForWebhook(db, provider.id, installationId);
  if (!row) return jsonError(404, 'unknown_installation', 'no such installation for this provider');
  const answer = (await acceptDelivery(
    req,
    raw,
    provider,
    row,
    { fromCache: false, startedAt, waitUntil },
    db,
    env,
    config,
  ))!;
  cache.set(key, row);
  if (cache.size > INSTALLATION_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  return answer;
}

/** How a delivery is being handled: from the cached installation row or not, since when, and the request's waitUntil. */
interface DeliveryContext {
  fromCache: boolean;
  startedAt: number;
  waitUntil: (promise: Promise<unknown>) => void;
}

/**
 * Verifies, records and queues one delivery for `row`. With `fromCache`, any outcome but a newly recorded delivery
 * answers null, and nothing was written: the caller reads the installation afresh and calls again without it.
 * Deliveries that are not queued are recorded in the run history after the response (delivery-history.ts).
 */
async function acceptDelivery(
  req: Request,
  raw: string,
  provider: IntegrationProvider,
  row: InstallationRecord,
  { fromCache, startedAt, waitUntil }: DeliveryContext,
  db: ReturnType<typeof createDb>,
  env: Env,
  config: WorkerConfig,
): Promise<Response | null> {
  const note = (
    status: RunHistoryStatus,
    reason: string,
    verified: { deliveryId: string; eventName: string; threadKey: string | null } | null = null,
  ) =>
    waitUntil(
      unqueuedDeliveryItem(
        {
          organizationId: row.organizationId,
          workspaceId: row.workspaceId,
          installationId: row.id,
          provider: provider.id,
          startedAt,
          status,
          reason,
          deliveryId: verified?.deliveryId ?? null,
          eventName: verified?.eventName ?? null,
          threadKey: verified?.threadKey ?? null,
        },
        [...secretValuesOf(env), ...secretValuesOfCredentials(decrypted)],
      ).then((item) => writeDeliveryHistory(db, [item])),
    );
  // What no item may contain: the worker's keys, and this installation's secrets once decrypted (computed only when
  // an item is written: not on the accepted path).
  let decrypted: Record<string, string> = {};
  let credentials: Record<string, string>;
  try {
    credentials = await config.cipher.decrypt(row.credentials);
  } catch {
    if (fromCache) return null;
    console.error(JSON.stringify({ msg: 'installation credentials do not decrypt', installationId: row.id }));
    note('refused', 'missing_secret');
    return rejectionResponse({ ok: false, reason: 'missing_secret' });
  }
  decrypted = credentials;
  const installation = toProviderInstallation(row, credentials);
  const result = await provider.parseWebhook(
    new Request(req.url, { method: 'POST', headers: req.headers, body: raw }),
    installation,
  );
  if (!result.ok) {
    if (fromCache) return null;
    note('refused', result.reason);
    // Connection health: signed with another secret (or not at all), counted until a delivery verifies again.
    if (result.reason === 'bad_signature' || result.reason === 'missing_signature')
      waitUntil(recordWebhookSignatureFailure(db, { organizationId: row.organizationId }, row.id).catch(logHealth));
    return rejectionResponse(result);
  }
  if (row.health?.webhookSignatureFailures)
    waitUntil(clearWebhookSignatureFailures(db, { organizationId: row.organizationId }, row.id).catch(logHealth));

  const tenant = { organizationId: row.organizationId };
  const deliveryId = result.event ? result.event.deliveryId : result.deliveryId;
  const name = result.event ? result.event.name : result.name;
  const delivery = {
    installationId: row.id,
    provider: provider.id,
    deliveryId,
    // The second dedupe key: GitHub and Linear do not sign their delivery id header, so a captured body re-sent under
    // a new id must still count as the same delivery.
    bodySha256: await sha256Hex(raw),
    eventName: name,
    status: result.event ? ('received' as const) : ('ignored' as const),
  };
  let recorded: Awaited<ReturnType<typeof recordDelivery>>;
  if (fromCache) {
    const confirmed = await recordDeliveryIfInstallationUnchanged(db, tenant, delivery, row);
    if (confirmed.outcome === 'unconfirmed') return null;
    recorded = confirmed;
  } else {
    recorded = await recordDelivery(db, tenant, delivery);
  }
  const { outcome, record } = recorded;
  const verified = { deliveryId, eventName: name, threadKey: result.event?.threadKey ?? null };
  if (!result.event) {
    note('ok', outcome === 'duplicate' ? 'duplicate' : 'ignored', verified);
    return result.reply ?? Response.json({ ok: true, ignored: true, event: name }, { status: 202 });
  }
  // A repeat of a delivery the main worker already has (dispatched) or that needs nothing (ignored) changes nothing.
  // A repeat of one still owed is queued again: `failed`, or `received` (queued and not yet settled, or never queued
  // because the queue and D1 failed together, or D1 lost its answer to a committed insert). Always under the first
  // delivery id, so the main worker's unique dispatch id keeps every try of one event a single event, whatever id
  // the repeat came with; a second message for a still-queued delivery costs a no-op dispatch.
  const settled = record.status === 'dispatched' || record.status === 'ignored';
  if (outcome === 'duplicate' && settled) {
    note('ok', 'duplicate', verified);
    return Response.json({ ok: true, duplicate: true }, { status: 200 });
  }
  const event = outcome === 'duplicate' ? { ...result.event, deliveryId: record.deliveryId } : result.event;
  // A failed delivery is claimed back to `received` before it is queued, never after: the consumer may mark it
  // dispatched first, and a later write would undo that.
  if (outcome === 'duplicate' && record.status === 'failed') await setDeliveryStatus(db, tenant, record.id, 'received');

  // A continuation (a reply in a thread) feeds only a session its thread has. When there is none yet, the mention
  // that starts it may still be in the queue: the reply waits CONTINUATION_RECHECK_SECONDS and is checked again by
  // the consumer (dispatched then, or recorded as ignored).
  const pending =
    result.event?.continuation === true && !(await hasThreadSession(db, tenant, row.id, result.event.threadKey));
  const dispatch = provider.dispatch(event, { installation });
  try {
    const message: DispatchMessage = {
      deliveryRecordId: record.id,
      organizationId: row.organizationId,
      dispatch,
      ...(event.continuation ? { continuation: true } : {}),
      receivedAt: startedAt,
    };
    await env.DISPATCH_QUEUE.send(message, pending ? { delaySeconds: CONTINUATION_RECHECK_SECONDS } : {});
  } catch (err) {
    // Not queued: mark it failed so the vendor's retry (it gets a 5xx) queues it again. If D1 fails too, the row stays
    // `received`, and a redelivery queues it all the same.
    console.error(
      JSON.stringify({
        msg: 'enqueue failed',
        provider: provider.id,
        deliveryId,
        error: err instanceof Error ? err.name : 'unknown',
      }),
    );
    await setDeliveryStatus(db, tenant, record.id, 'failed').catch((markErr: unknown) =>
      console.error(
        JSON.stringify({
          msg: 'marking an unqueued delivery failed did not work',
          deliveryId,
          error: markErr instanceof Error ? markErr.name : 'unknown',
        }),
      ),
    );
    note('error', 'enqueue_failed', verified);
    return jsonError(503, 'temporarily_unavailable', 'the event could not be queued; retry later', {
      'retry-after': '10',
    });
  }
  // Still a duplicate to the sender when the first delivery was accepted; a failed one is accepted now.
  if (outcome === 'duplicate' && record.status === 'received') {
    note('ok', 'duplicate', verified);
    return Response.json({ ok: true, duplicate: true }, { status: 200 });
  }
  return Response.json({ ok: true, accepted: true }, { status: 202 });
}
