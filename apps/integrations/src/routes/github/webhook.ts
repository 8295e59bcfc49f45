/**
 * GitHub webhooks: verify X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the webhook secret, compared in
 * constant time by @octokit/webhooks-methods over crypto.subtle), require X-GitHub-Delivery (the dedupe key), then
 * normalize the events that start or continue an agent session.
 * https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads
 */
import { verifyWithFallback } from '@octokit/webhooks-methods';
import { parseWebhookJson, type ProviderInstallation, type WebhookParseResult } from '@gatehouse/integrations-core';
import { z } from 'zod';

const user = z.looseObject({ login: z.string() });
// Loose objects: GitHub adds fields over time and must not break us.
const payloadSchema = z.looseObject({
  action: z.string().optional(),
  repository: z.looseObject({ full_name: z.string() }).optional(),
  sender: user.optional(),
  issue: z
    .looseObject({
      number: z.number().int(),
      title: z.string(),
      html_url: z.string(),
      pull_request: z.unknown().optional(),
    })
    .optional(),
  pull_request: z
    .looseObject({
      number: z.number().int(),
      title: z.string(),
      html_url: z.string(),
      merged: z.boolean().nullable().optional(),
    })
    .optional(),
  comment: z.looseObject({ id: z.number(), body: z.string().nullable(), html_url: z.string(), user }).optional(),
  requested_reviewer: user.nullable().optional(),
  assignee: user.nullable().optional(),
  installation: z.looseObject({ id: z.number() }).optional(),
});

/**
 * With `app_login` set on the installation (the account the agent acts as), only what addresses the agent starts or
 * continues a session: a comment mentioning `@<app_login>`, a review requested from it, an issue or pull request
 * assigned to it. Without it, every issue and pull-request event of the repository does.
 */
function addressesAgent(eventType: string, p: z.infer<typeof payloadSchema>, appLogin: string | undefined): boolean {
  if (!appLogin) return true;
  const login = appLogin.toLowerCase();
  // A GitHub App's bot (`<slug>[bot]`) is mentioned as @<slug>.
  const handle = login.replace(/\[bot\]$/, '');
  if (p.comment)
    return new RegExp(`(^|[^\\w-])@${handle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w-])`, 'i').test(
      p.comment.body ?? '',
    );
  if (eventType === 'pull_request' && p.action === 'review_requested')
    return p.requested_reviewer?.login.toLowerCase() === login;
  if (p.action === 'assigned') return p.assignee?.login.toLowerCase() === login;
  return false;
}

/** Events that concern an issue or pull request thread and so feed a session. Others are acknowledged and ignored. */
const SESSION_EVENTS = new Set([
  'issues',
  'issue_comment',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
]);

/**
 * An issue or pull request closed (merged or not) or reopened: it continues the thread's session if there is one
 * (closing it, or making it active again), whoever it addresses, and never starts one.
 * https://docs.github.com/en/webhooks/webhook-events-and-payloads#issues (`closed`, `reopened`)
 */
function isLifecycleEvent(eventType: string, action: string | undefined): boolean {
  return (eventType === 'issues' || eventType === 'pull_request') && (action === 'closed' || action === 'reopened');
}

export async function parseGithubWebhook(
  req: Request,
  installation: ProviderInstallation,
): Promise<WebhookParseResult> {
  // Raw bytes first: the signature covers the body exactly as sent.
  const raw = await req.text();
  const secret = installation.credentials.webhook_secret;
  if (!secret) return { ok: false, reason: 'missing_secret' };
  const signature = req.headers.get('x-hub-signature-256');
  if (!signature) return { ok: false, reason: 'missing_signature' };
  const previous = installation.credentials.previous_webhook_secret;
  const valid = await verifyWithFallback(secret, raw, signature, previous ? [previous] : []).catch(() => false);
  if (!valid) return { ok: false, reason: 'bad_signature' };
  const deliveryId = req.headers.get('x-github-delivery');
  if (!deliveryId) return { ok: false, reason: 'missing_delivery_id' };
  const eventType = req.headers.get('x-github-event') ?? 'unknown';

  const parsed = parseWebhookJson(raw, payloadSchema);
  if (!parsed.ok) return parsed;
  const p = parsed.data;
  const name = p.action ? `${eventType}.${p.action}` : eventType;
  const thread = p.issue ?? p.pull_request;
  // A GitHub App has one webhook for all its installations: only events of the installation this one was made for
  // count here (https://docs.github.com/en/webhooks/webhook-events-and-payloads#installation, `installation.id`).
  const appInstallation = installation.credentials.installation_id;
  if (appInstallation && String(p.installation?.id ?? '') !== appInstallation)
    return { ok: true, event: null, deliveryId, name };
  const lifecycle = isLifecycleEvent(eventType, p.action);
  if (
    !SESSION_EVENTS.has(eventType) ||
    !thread ||
    !p.repository ||
    !(lifecycle || addressesAgent(eventType, p, installation.credentials.app_login))
  )
    return { ok: true, event: null, deliveryId, name };

  const actor = p.sender?.login ?? null;
  const threadKey = `${p.repository.full_name}#${thread.number}`;
  const summary = p.comment
    ? `${p.comment.user.login} commented on ${threadKey}: ${(p.comment.body ?? '').slice(0, 500)}`
    : `${actor ?? 'someone'} ${p.pull_request?.merged && p.action === 'closed' ? 'merged' : (p.action ?? eventType)} ${threadKey}: ${thread.title}`;
  return {
    ok: true,
    event: {
      provider: 'github',
      deliveryId,
      name,
      threadKey,
      title: thread.title,
      actor,
      summary,
      ...(lifecycle ? { continuation: true, closesThread: p.action === 'closed' } : {}),
      data: {
        repository: p.repository.full_name,
        number: thread.number,
        url: p.comment?.html_url ?? thread.html_url,
        is_pull_request: Boolean(p.pull_request ?? p.issue?.pull_request),
        ...(p.pull_request && p.action === 'closed' ? { merged: p.pull_request.merged === true } : {}),
        ...(p.comment ? { comment_id: p.comment.id, comment_body: p.comment.body } : {}),
      },
    },
  };
}
