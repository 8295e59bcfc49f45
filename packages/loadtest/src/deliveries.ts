/**
 * Signed webhook deliveries as each vendor sends them, one unique event per call, each carrying a marker (in the
 * comment or message text) that the read-back finds in exactly one session event:
 * - GitHub `issue_comment.created` from @octokit/webhooks-examples, signed with @octokit/webhooks-methods
 *   (X-Hub-Signature-256 over the raw body: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries);
 * - Linear `Comment.create` mentioning the agent, `Linear-Signature` = HMAC-SHA256 hex of the raw body, fresh
 *   `webhookTimestamp` (https://linear.app/developers/webhooks#securing-webhooks);
 * - Slack `app_mention`, `X-Slack-Signature` = `v0=` HMAC-SHA256 of `v0:<timestamp>:<body>`
 *   (https://api.slack.com/authentication/verifying-requests-from-slack).
 *
 * A redelivery is the same request again (same delivery id); a replay is the same signed body under a new delivery
 * id (GitHub and Linear do not sign the id header; Slack's id is in the body, so its replay is the same event again).
 */
import { createHmac, randomUUID } from 'node:crypto';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { linearCommentMention } from '@gatehouse/integrations/fixtures/linear';
import { SLACK_BOT_USER_ID, slackAppMention } from '@gatehouse/integrations/fixtures/slack';

export const PROVIDERS = ['github', 'linear', 'slack'] as const;
export type LoadProvider = (typeof PROVIDERS)[number];

/** `[lt:<run>:<n>]` (run: hex), fixed width, so no marker is a prefix of another; read-back.ts finds them. */
export function markerOf(run: string, i: number): string {
  return `[lt:${run}:${String(i).padStart(6, '0')}]`;
}

/** One HTTP request to a webhook URL. */
export interface Delivery {
  provider: LoadProvider;
  headers: Record<string, string>;
  body: string;
  /** The text every session event this delivery produces contains; null for a repeat. */
  marker: string;
}

/** The credential paste each provider's install takes (`POST /install/<id>`), with its signing secret. */
export function installBody(provider: LoadProvider, secret: string): Record<string, unknown> {
  switch (provider) {
    case 'github':
      return { title: 'GitHub (loadtest)', credentials: { webhook_secret: secret } };
    case 'linear':
      return {
        title: 'Linear (loadtest)',
        credentials: { webhook_secret: secret, app_user_id: LINEAR_AGENT_ID, app_user_name: LINEAR_AGENT_NAME },
      };
    case 'slack':
      return { title: 'Slack (loadtest)', credentials: { signing_secret: secret, bot_user_id: SLACK_BOT_USER_ID } };
  }
}

const LINEAR_AGENT_ID = '0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a';
const LINEAR_AGENT_NAME = 'gatehouse';

// biome-ignore lint/suspicious/noExplicitAny: @octokit/webhooks-examples ships untyped JSON; fields are set by path.
type Example = Record<string, any>;
const githubComment: Example = (examples as unknown as { name: string; examples: Example[] }[])
  .find((d) => d.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

/**
 * A unique delivery for `provider` number `i`: its own thread (issue number, Linear issue, Slack message), its own
 * delivery id and body, signed with `secret`.
 */
export async function uniqueDelivery(
  provider: LoadProvider,
  secret: string,
  marker: string,
  i: number,
): Promise<Delivery> {
  switch (provider) {
    case 'github': {
      const payload = structuredClone(githubComment);
      payload.issue.number = 100_000 + i;
      payload.comment.id = 9_000_000 + i;
      payload.comment.body = `${marker} can you take a look?`;
      const body = JSON.stringify(payload);
      return {
        provider,
        marker,
        body,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'issue_comment',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': await sign(secret, body),
        },
      };
    }
    case 'linear': {
      const payload = linearCommentMention(Date.now());
      payload.data.id = randomUUID();
      const issueId = randomUUID();
      payload.data.issueId = issueId;
      payload.data.issue = { ...payload.data.issue, id: issueId, identifier: `LT-${i}` };
      payload.data.body = `@${LINEAR_AGENT_NAME} ${marker} please reproduce`;
      const body = JSON.stringify(payload);
      return {
        provider,
        marker,
        body,
        headers: {
          'content-type': 'application/json',
          'linear-event': 'Comment',
          'linear-delivery': randomUUID(),
          'linear-signature': createHmac('sha256', secret).update(body).digest('hex'),
        },
      };
    }
    case 'slack': {
      const payload = slackAppMention(`Ev${randomUUID().replaceAll('-', '').slice(0, 12)}`);
      payload.event.ts = `${Math.floor(Date.now() / 1000)}.${String(i).padStart(6, '0')}`;
      payload.event.text = `<@${SLACK_BOT_USER_ID}> ${marker} summarise please`;
      const body = JSON.stringify(payload);
      return { provider, marker, body, headers: slackHeaders(secret, body) };
    }
  }
}

function slackHeaders(secret: string, body: string): Record<string, string> {
  const ts = String(Math.floor(Date.now() / 1000));
  return {
    'content-type': 'application/json',
    'x-slack-request-timestamp': ts,
    'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`,
  };
}

/** The same delivery sent again, as a vendor retries it (same delivery id; Slack signs afresh with a new timestamp). */
export function redelivery(d: Delivery, secret: string): Delivery {
  return { ...d, headers: d.provider === 'slack' ? slackHeaders(secret, d.body) : d.headers };
}

/** The same signed body under a new delivery id (an attacker's or a proxy's replay). */
export function replay(d: Delivery, secret: string): Delivery {
  switch (d.provider) {
    case 'github':
      return { ...d, headers: { ...d.headers, 'x-github-delivery': randomUUID() } };
    case 'linear':
      return { ...d, headers: { ...d.headers, 'linear-delivery': randomUUID() } };
    case 'slack':
      return redelivery(d, secret);
  }
}
