/**
 * Slack Events API requests: `X-Slack-Signature` is `v0=` + hex HMAC-SHA256 of `v0:<X-Slack-Request-Timestamp>:<raw
 * body>` with the app's signing secret, and the timestamp must be within five minutes
 * (https://api.slack.com/authentication/verifying-requests-from-slack). `url_verification` is answered with its
 * challenge only after that check. Slack retries (X-Slack-Retry-Num) carry the same `event_id`, the dedupe key.
 * `app_mention` starts or continues a session keyed by the thread; a reply in a thread continues that thread's
 * session only if it has one (the app was mentioned there), as a `continuation` event: the worker checks.
 */
import {
  parseWebhookJson,
  verifyHmacSha256Hex,
  type ProviderInstallation,
  type WebhookParseResult,
} from '@gatehouse/integrations-core';
import { z } from 'zod';

export const SLACK_TOLERANCE_SEC = 300;

const eventSchema = z.looseObject({
  type: z.string(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  channel: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
  subtype: z.string().optional(),
});

const envelopeSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('url_verification'), challenge: z.string() }),
  z.looseObject({
    type: z.literal('event_callback'),
    event_id: z.string(),
    team_id: z.string().optional(),
    event: eventSchema,
  }),
]);

export async function parseSlackWebhook(
  req: Request,
  installation: ProviderInstallation,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<WebhookParseResult> {
  const raw = await req.text();
  const secret = installation.credentials.signing_secret;
  if (!secret) return { ok: false, reason: 'missing_secret' };
  const signature = req.headers.get('x-slack-signature');
  const timestamp = req.headers.get('x-slack-request-timestamp');
  if (!signature || !timestamp || !signature.startsWith('v0=')) return { ok: false, reason: 'missing_signature' };
  const ts = Number(timestamp);
  if (!Number.isInteger(ts)) return { ok: false, reason: 'bad_signature' };
  // Freshness before the MAC: a replayed request is refused whatever it carries.
  if (Math.abs(nowSec - ts) > SLACK_TOLERANCE_SEC)
    return { ok: false, reason: 'stale_timestamp', ageSec: Math.abs(nowSec - ts) };
  const secrets = [secret, installation.credentials.previous_signing_secret ?? ''];
  if (!(await verifyHmacSha256Hex(secrets, `v0:${timestamp}:${raw}`, signature.slice(3))))
    return { ok: false, reason: 'bad_signature' };

  const parsed = parseWebhookJson(raw, envelopeSchema);
  if (!parsed.ok) return parsed;
  const envelope = parsed.data;
  if (envelope.type === 'url_verification')
    return {
      ok: true,
      event: null,
      deliveryId: `url_verification:${timestamp}`,
      name: 'url_verification',
      reply: Response.json({ challenge: envelope.challenge }),
    };

  const e = envelope.event;
  const name = e.subtype ? `${e.type}.${e.subtype}` : e.type;
  // An app distributed to several workspaces has one request URL: only events of the workspace (team) this
  // installation was made for count here (an OAuth install stores the team_id Slack answered).
  const team = installation.credentials.team_id;
  if (team && envelope.team_id !== team) return { ok: true, event: null, deliveryId: envelope.event_id, name };
  const own = e.user === installation.credentials.bot_user_id || e.bot_id !== undefined;
  const threadTs = e.thread_ts ?? e.ts;
  const isMention = e.type === 'app_mention';
  // A reply that mentions the app also arrives as app_mention (its own event id): that one carries it.
  const mentionsApp = (e.text ?? '').includes(`<@${installation.credentials.bot_user_id}>`);
  const isThreadReply =
    e.type === 'message' && !e.subtype && e.thread_ts !== undefined && e.thread_ts !== e.ts && !mentionsApp;
  if (own || !(isMention || isThreadReply) || !e.channel || !threadTs)
    return { ok: true, event: null, deliveryId: envelope.event_id, name };
  const threadKey = `${e.channel}:${threadTs}`;
  return {
    ok: true,
    event: {
      provider: 'slack',
      deliveryId: envelope.event_id,
      name,
      threadKey,
      title: null,
      actor: e.user ?? null,
      summary: `${e.user ?? 'someone'} ${isMention ? 'mentioned the app' : 'replied'} in ${threadKey}: ${(e.text ?? '').slice(0, 500)}`,
      data: {
        channel: e.channel,
        ts: e.ts ?? null,
        thread_ts: threadTs,
        text: e.text ?? null,
        team_id: envelope.team_id ?? null,
      },
      ...(isMention ? {} : { continuation: true }),
    },
  };
}
