/**
 * Webhooks from custom services, signed per Standard Webhooks (https://www.standardwebhooks.com/, spec v1.0.0):
 * `webhook-id`, `webhook-timestamp` (Unix seconds, within five minutes) and `webhook-signature` (space-separated
 * `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>">`), keyed with the installation's `whsec_…` secret. The
 * verification itself is the standard's reference library (`standardwebhooks`, constant-time compare); the secret
 * comes from our side (the installation named by the URL), the current one or the previous one during rotation.
 *
 * The body is Gatehouse's documented envelope (docs/providers.md, "The custom provider"):
 * `{ "type": "ticket.assigned", "thread"?: { "key": "TCK-42", "title"?: "…", "closed"?: true }, "actor"?: "…",
 *    "summary"?: "…", "data"?: { … } }`. An event with a thread starts or continues the session of that thread; one
 * without is acknowledged and recorded as ignored. `"closed": true` closes the thread's session (and starts none).
 */
import { Webhook } from 'standardwebhooks';
import { parseWebhookJson, type ProviderInstallation, type WebhookParseResult } from '@gatehouse/integrations-core';
import { z } from 'zod';

/** Accepted clock difference, seconds (the standard's five minutes). */
export const STANDARD_WEBHOOKS_TOLERANCE_SEC = 300;

/** Whether `secret` has the standard's form: `whsec_` + base64 of a 24- to 64-byte key. */
export function isWebhookSecret(secret: string): boolean {
  const m = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!m) return false;
  try {
    const bytes = atob(m[1]!).length;
    return bytes >= 24 && bytes <= 64;
  } catch {
    return false;
  }
}

/** Longest `webhook-id` accepted (it becomes part of the dispatch id), characters. */
export const MAX_WEBHOOK_ID_LENGTH = 128;
/** Largest `data` carried into a session event (queue messages are capped at 128 KB), bytes of JSON. */
export const MAX_EVENT_DATA_BYTES = 32 * 1024;

const envelopeSchema = z.looseObject({
  type: z.string().min(1).max(200),
  thread: z
    .looseObject({
      key: z.string().min(1).max(200),
      title: z.string().max(500).optional(),
      closed: z.boolean().optional(),
    })
    .optional(),
  actor: z.string().max(200).optional(),
  summary: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

function verifies(secret: string, raw: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(raw, headers);
    return true;
  } catch {
    // A malformed secret throws as well: it verifies nothing.
    return false;
  }
}

/**
 * Verifies and normalizes a custom service's webhook for `provider` (the registry id, `custom`). The thread key is
 * scoped by the installation (`<installation id>/<thread.key>`): two services may both have a "TCK-42".
 */
export async function parseStandardWebhook(
  req: Request,
  installation: ProviderInstallation,
  provider: string,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<WebhookParseResult> {
  const raw = await req.text();
  const secret = installation.credentials.webhook_secret;
  if (!secret) return { ok: false, reason: 'missing_secret' };
  const id = req.headers.get('webhook-id');
  const timestamp = req.headers.get('webhook-timestamp');
  const signature = req.headers.get('webhook-signature');
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing_signature' };
  if (id.length > MAX_WEBHOOK_ID_LENGTH)
    return {
      ok: false,
      reason: 'malformed_payload',
      detail: `webhook-id longer than ${MAX_WEBHOOK_ID_LENGTH} characters`,
    };
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return { ok: false, reason: 'bad_signature' };
  // Freshness first, told apart from a bad signature (the library reports both as one error type).
  if (Math.abs(nowSec - ts) > STANDARD_WEBHOOKS_TOLERANCE_SEC)
    return { ok: false, reason: 'stale_timestamp', ageSec: Math.abs(nowSec - ts) };
  const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature };
  const previous = installation.credentials.previous_webhook_secret;
  if (!verifies(secret, raw, headers) && !(previous && verifies(previous, raw, headers)))
    return { ok: false, reason: 'bad_signature' };

  const parsed = parseWebhookJson(raw, envelopeSchema);
  if (!parsed.ok) return parsed;
  const e = parsed.data;
  if (new TextEncoder().encode(JSON.stringify(e.data ?? {})).length > MAX_EVENT_DATA_BYTES)
    return {
      ok: false,
      reason: 'malformed_payload',
      detail: `data larger than ${MAX_EVENT_DATA_BYTES} bytes; send what an agent needs and a link to the rest`,
    };
  if (!e.thread) return { ok: true, event: null, deliveryId: id, name: e.type };
  const threadKey = `${installation.id}/${e.thread.key}`;
  return {
    ok: true,
    event: {
      provider,
      deliveryId: id,
      name: e.type,
      threadKey,
      title: e.thread.title ?? null,
      actor: e.actor ?? null,
      summary: (e.summary ?? `${e.type} on ${e.thread.key}`).slice(0, 1000),
      data: e.data ?? {},
      // A closing event continues the thread's session (closing it) and never starts one.
      ...(e.thread.closed ? { continuation: true, closesThread: true } : {}),
    },
  };
}
