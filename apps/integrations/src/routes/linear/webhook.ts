/**
 * Linear webhooks: `Linear-Signature` is the hex HMAC-SHA256 of the raw body with the webhook's signing secret;
 * `webhookTimestamp` (ms) in the body must be within a minute of now (replay protection); `Linear-Delivery` is the
 * delivery id. Issues assigned to the app user and comments mentioning it start or continue a session keyed by the
 * issue. https://linear.app/developers/webhooks#securing-webhooks
 */
import { parseWebhookJson, verifyHmacSha256Hex, type ProviderInstallation, type WebhookParseResult } from '@gatehouse/integrations-core';
import { z } from 'zod';

/** Linear: "verify that the webhookTimestamp is within a minute of the current time". */
export const LINEAR_TOLERANCE_MS = 60_000;

const payloadSchema = z.looseObject({
  action: z.string(),
  type: z.string(),
  webhookTimestamp: z.number(),
  url: z.string().optional(),
  actor: z.looseObject({ id: z.string().optional(), name: z.string().optional() }).optional(),
  data: z.looseObject({
    id: z.string(),
    identifier: z.string().optional(),
    title: z.string().optional(),
    assigneeId: z.string().nullable().optional(),
    body: z.string().optional(),
    issueId: z.string().optional(),
    issue: z.looseObject({ id: z.string(), identifier: z.string().optional(), title: z.string().optional() }).optional(),
  }),
  updatedFrom: z.looseObject({ assigneeId: z.string().nullable().optional() }).optional(),
});

export async function parseLinearWebhook(req: Request, installation: ProviderInstallation, now = Date.now()): Promise<WebhookParseResult> {
  const raw = await req.text();
  const secret = installation.credentials.webhook_secret;
  if (!secret) return { ok: false, reason: 'missing_secret' };
  const signature = req.headers.get('linear-signature');
  if (!signature) return { ok: false, reason: 'missing_signature' };
  if (!(await verifyHmacSha256Hex([secret, installation.credentials.previous_webhook_secret ?? ''], raw, signature)))
    return { ok: false, reason: 'bad_signature' };
  const parsed = parseWebhookJson(raw, payloadSchema);
  if (!parsed.ok) return parsed;
  const p = parsed.data;
  const ageMs = Math.abs(now - p.webhookTimestamp);
  if (ageMs > LINEAR_TOLERANCE_MS) return { ok: false, reason: 'stale_timestamp', ageSec: Math.round(ageMs / 1000) };
  const deliveryId = req.headers.get('linear-delivery');
  if (!deliveryId) return { ok: false, reason: 'missing_delivery_id' };
  const name = `${p.type}.${p.action}`;
  const appUserId = installation.credentials.app_user_id;
  const appName = installation.credentials.app_user_name;
  const actor = p.actor?.name ?? p.actor?.id ?? null;

  if (p.type === 'Issue' && p.data.assigneeId && p.data.assigneeId === appUserId && (p.action === 'create' || p.updatedFrom?.assigneeId !== undefined)) {
    // Sessions are keyed by the issue's UUID (what the API and the tools take); the identifier is for people.
    const label = p.data.identifier ?? p.data.id;
    return {
      ok: true,
      event: { provider: 'linear', deliveryId, name, threadKey: p.data.id, title: p.data.title ?? label, actor, summary: `${actor ?? 'someone'} assigned ${label} to the agent`, data: { issue_id: p.data.id, identifier: label, url: p.url ?? null } },
    };
  }
  const mentioned = appName ? new RegExp(`@${appName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(p.data.body ?? '') : false;
  if (p.type === 'Comment' && p.action === 'create' && mentioned) {
    const issue = p.data.issue;
    const key = issue?.id ?? p.data.issueId ?? p.data.id;
    const label = issue?.identifier ?? key;
    return {
      ok: true,
      event: {
        provider: 'linear',
        deliveryId,
        name,
        threadKey: key,
        title: issue?.title ?? label,
        actor,
        summary: `${actor ?? 'someone'} mentioned the agent on ${label}: ${(p.data.body ?? '').slice(0, 500)}`,
        data: { comment_id: p.data.id, issue_id: issue?.id ?? p.data.issueId ?? null, body: p.data.body ?? null, url: p.url ?? null },
      },
    };
  }
  return { ok: true, event: null, deliveryId, name };
}
