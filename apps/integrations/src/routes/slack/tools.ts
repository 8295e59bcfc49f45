/**
 * Slack tools (mcp_slack_<tool>) through Slack's official Web API client (@slack/web-api, fetch-based since v8, given
 * the executor's fetch) with the installation's bot token.
 * https://api.slack.com/methods/chat.postMessage  https://api.slack.com/methods/reactions.add
 * https://api.slack.com/methods/conversations.list
 * A thread is `<channel>:<thread_ts>`, the form sessions are keyed by.
 */
import {
  CredentialsRefusedError,
  OutsidePublicationError,
  defineProviderTool,
  toolExecutor,
  type PublicationContext,
  type SessionReply,
} from '@gatehouse/integrations-core';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { z } from 'zod';
import { slackApiRoot } from './install.js';

export class SlackToolError extends Error {
  override name = 'SlackToolError';
}

/**
 * Slack's official Web API client on the executor's fetch (outbound policy) and the installation's API root: one
 * attempt within ten seconds (the agent decides whether to retry; the client's default retries for half an hour).
 */
function slackClient(ctx: PublicationContext): WebClient {
  // A pasted bot token, or the one an OAuth v2 install stored.
  const token = ctx.installation.credentials.bot_token ?? ctx.installation.credentials.access_token;
  if (!token) throw new SlackToolError('this Slack installation has no bot token; reinstall with one to use tools');
  return new WebClient(token, {
    slackApiUrl: `${slackApiRoot(ctx.installation.settings)}/`,
    fetch: ctx.fetch,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    allowAbsoluteUrls: false,
    logLevel: LogLevel.ERROR,
  });
}

/** Slack error codes that mean the token is dead, not that one call was wrong. */
const TOKEN_REFUSED: ReadonlySet<string> = new Set([
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'token_expired',
  'account_inactive',
]);

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    const e = err as { code?: string; data?: { error?: unknown }; statusCode?: number };
    // Slack's `error` is a documented code (e.g. channel_not_found), safe to show; nothing else of the answer leaves.
    // https://docs.slack.dev/reference/methods/auth.test#errors: the token itself is no longer good.
    if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string' && TOKEN_REFUSED.has(e.data.error))
      throw new CredentialsRefusedError(`Slack refused the token: ${e.data.error}`);
    if (e.code === ErrorCode.PlatformError && typeof e.data?.error === 'string')
      throw new SlackToolError(`Slack refused: ${e.data.error}`);
    if (e.code === ErrorCode.RateLimitedError) throw new SlackToolError('Slack rate-limited the call; retry later');
    if (e.code === ErrorCode.HTTPError) throw new SlackToolError(`Slack answered ${e.statusCode ?? 'an error'}`);
    throw new SlackToolError('Slack could not be reached');
  }
}

const channel = z.string().min(1);
/** A thread is `<channel>:<thread_ts>`, the session thread key. */
const threadOf = (a: { channel: string; thread_ts: string }) => `${a.channel}:${a.thread_ts}`;

export const slackTools = [
  defineProviderTool({
    name: 'mcp_slack_reply_in_thread',
    description: 'Reply in a Slack thread.',
    input: z.object({ channel, thread_ts: z.string().min(1), text: z.string().min(1) }),
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    publicationScope: 'chat.write',
    target: threadOf,
    run: async (a, ctx) => {
      const client = slackClient(ctx);
      const res = await call(() =>
        client.chat.postMessage({ channel: a.channel, thread_ts: a.thread_ts, text: a.text }),
      );
      return { ok: true, channel: res.channel, ts: res.ts };
    },
  }),
  defineProviderTool({
    name: 'mcp_slack_post_message',
    description: 'Post a new message in a channel.',
    input: z.object({ channel, text: z.string().min(1) }),
    annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    publicationScope: 'chat.write',
    // A new message starts no thread yet: only a workspace- or user-wide publication can grant it.
    target: () => null,
    run: async (a, ctx) => {
      const client = slackClient(ctx);
      const res = await call(() => client.chat.postMessage({ channel: a.channel, text: a.text }));
      return { ok: true, channel: res.channel, ts: res.ts };
    },
  }),
  defineProviderTool({
    name: 'mcp_slack_add_reaction',
    description: 'Add an emoji reaction to a message in a thread.',
    input: z.object({
      channel,
      thread_ts: z.string().min(1).describe('The thread the message is in'),
      timestamp: z.string().min(1),
      name: z.string().min(1).describe('Emoji name without colons'),
    }),
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    publicationScope: 'reactions.write',
    target: threadOf,
    run: async (a, ctx) => {
      const client = slackClient(ctx);
      // The publication was checked for the thread; the message reacted to must be in it (its root or a reply), or a
      // session allowed one thread could react anywhere in the channel.
      // https://api.slack.com/methods/conversations.replies
      if (a.timestamp !== a.thread_ts) {
        const replies = await call(() =>
          client.conversations.replies({
            channel: a.channel,
            ts: a.thread_ts,
            oldest: a.timestamp,
            latest: a.timestamp,
            inclusive: true,
            limit: 2,
          }),
        );
        const inThread = (replies.messages ?? []).some((m) => m.ts === a.timestamp && m.thread_ts === a.thread_ts);
        if (!inThread)
          throw new OutsidePublicationError(`message ${a.timestamp} is not in thread ${a.thread_ts} of ${a.channel}`);
      }
      await call(() => client.reactions.add({ channel: a.channel, timestamp: a.timestamp, name: a.name }));
      return { ok: true };
    },
  }),
  defineProviderTool({
    name: 'mcp_slack_list_channels',
    description: 'List public channels the app can see.',
    input: z.object({ limit: z.number().int().min(1).max(200).optional(), cursor: z.string().optional() }),
    annotations: { readOnlyHint: true, openWorldHint: true },
    run: async (a, ctx) => {
      const client = slackClient(ctx);
      const res = await call(() =>
        client.conversations.list({
          limit: a.limit ?? 100,
          ...(a.cursor ? { cursor: a.cursor } : {}),
          exclude_archived: true,
        }),
      );
      return {
        channels: (res.channels ?? []).map((c) => ({ id: c.id, name: c.name })),
        next_cursor: res.response_metadata?.next_cursor || null,
      };
    },
  }),
] as const;

/** Runs one of `slackTools` by name (validated first). */
export const executeSlackTool = toolExecutor(slackTools);

/** How an agent answers in a session's thread (`<channel>:<thread_ts>`): mcp_slack_reply_in_thread. */
export function slackSessionReply(threadKey: string): SessionReply {
  const colon = threadKey.indexOf(':');
  return {
    tool: 'mcp_slack_reply_in_thread',
    arguments: { channel: threadKey.slice(0, colon), thread_ts: threadKey.slice(colon + 1) },
    textArgument: 'text',
  };
}
