/**
 * Linear webhooks: `Linear-Signature` is the hex HMAC-SHA256 of the raw body with the webhook's signing secret;
 * `webhookTimestamp` (ms) in the body must be within a minute of now (replay protection); `Linear-Delivery` is the
 * delivery id. Issues assigned to the app user and comments mentioning it start or continue a session keyed by the
 * issue. https://linear.app/developers/webhooks#securing-webhooks
 */
import {
  parseWebhookJson,
  verifyHmacSha256Hex,
  type ProviderInstallation,
  type WebhookEvent,
  type WebhookParseResult,
} from '@gatehouse/integrations-core';
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
    issue: z
      .looseObject({ id: z.string(), identifier: z.string().optional(), title: z.string().optional() })
      .optional(),
    /** The workflow state: https://linear.app/developers/graphql (WorkflowState.type: triage, backlog, unstarted, started, completed, canceled). */
    state: z.looseObject({ name: z.string().optional(), type: z.string() }).optional(),
  }),
  updatedFrom: z
    .looseObject({ assigneeId: z.string().nullable().optional(), stateId: z.string().nullable().optional() })
    .optional(),
});

/** Workflow state types in which an issue's work is over: its session closes. */
const CLOSED_STATE_TYPES = new Set(['completed', 'canceled']);

export async function parseLinearWebhook(
  req: Request,
  installation: ProviderInstallation,
  now = Date.now(),
): Promise<WebhookParseResult> {
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

  // Every session event here shares the delivery's provider, id, name and actor; each branch adds the rest.
  const event = (fields: Omit<WebhookEvent, 'provider' | 'deliveryId' | 'name' | 'actor'>): WebhookParseResult => ({
    ok: true,
    event: { provider: 'linear', deliveryId, name, actor, ...fields },
  });

  if (
    p.type === 'Issue' &&
    p.data.assigneeId &&
    p.data.assigneeId === appUserId &&
    (p.action === 'create' || p.updatedFrom?.assigneeId !== undefined)
  ) {
    // Sessions are keyed by the issue's UUID (what the API and the tools take); the identifier is for people.
    const label = p.data.identifier ?? p.data.id;
    return event({
      threadKey: p.data.id,
      title: p.data.title ?? label,
      summary: `${actor ?? 'someone'} assigned ${label} to the agent`,
      data: { issue_id: p.data.id, identifier: label, url: p.url ?? null },
    });
  }
  if (p.type === 'Issue' && p.action === 'update' && p.updatedFrom?.stateId !== undefined && p.data.state) {
    // A state change continues the issue's session if it has one (never starts one): completed or canceled closes
    // it, any other state (a reopen) makes it active again.
    const label = p.data.identifier ?? p.data.id;
    const stateName = p.data.state.name ?? p.data.state.type;
    return event({
      threadKey: p.data.id,
      title: p.data.title ?? label,
      summary: `${actor ?? 'someone'} moved ${label} to ${stateName}`,
      continuation: true,
      closesThread: CLOSED_STATE_TYPES.has(p.data.state.type),
      data: {
        issue_id: p.data.id,
        identifier: label,
        state: stateName,
        state_type: p.data.state.type,
        url: p.url ?? null,
      },
    });
  }
  const mentioned = appName
    ? new RegExp(`@${appName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'i').test(p.data.body ?? '')
    : false;
  if (p.type === 'Comment' && p.action === 'create' && mentioned) {
    const issue = p.data.issue;
    const key = issue?.id ?? p.data.issueId ?? p.data.id;
    const label = issue?.identifier ?? key;
    return event({
      threadKey: key,
      title: issue?.title ?? label,
      summary: `${actor ?? 'someone'} mentioned the agent on ${label}: ${(p.data.body ?? '').slice(0, 500)}`,
      data: {
        comment_id: p.data.id,
        issue_id: issue?.id ?? p.data.issueId ?? null,
        body: p.data.body ?? null,
        url: p.url ?? null,
      },
    });
  }
  return { ok: true, event: null, deliveryId, name };
}
