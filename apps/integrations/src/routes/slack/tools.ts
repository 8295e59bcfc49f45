/**
 * Slack tools (mcp_slack_<tool>) over the Web API with the installation's bot token.
 * https://api.slack.com/methods/chat.postMessage  https://api.slack.com/methods/reactions.add
 * https://api.slack.com/methods/conversations.list
 * A thread is `<channel>:<thread_ts>`, the form sessions are keyed by.
 */
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { slackApiRoot } from './install.js';

const threadOf = (input: Record<string, unknown>) =>
  typeof input.channel === 'string' && typeof input.thread_ts === 'string' ? `${input.channel}:${input.thread_ts}` : null;

export const slackTools = [
  {
    name: 'mcp_slack_reply_in_thread',
    description: 'Reply in a Slack thread.',
    inputSchema: {
      type: 'object',
      properties: { channel: { type: 'string' }, thread_ts: { type: 'string' }, text: { type: 'string', minLength: 1 } },
      required: ['channel', 'thread_ts', 'text'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'chat.write',
    target: threadOf,
  },
  {
    name: 'mcp_slack_post_message',
    description: 'Post a new message in a channel.',
    inputSchema: { type: 'object', properties: { channel: { type: 'string' }, text: { type: 'string', minLength: 1 } }, required: ['channel', 'text'] },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'chat.write',
    // A new message starts no thread yet: only a workspace- or user-wide publication can grant it.
    target: () => null,
  },
  {
    name: 'mcp_slack_add_reaction',
    description: 'Add an emoji reaction to a message in a thread.',
    inputSchema: {
      type: 'object',
      properties: { channel: { type: 'string' }, thread_ts: { type: 'string', description: 'The thread the message is in' }, timestamp: { type: 'string' }, name: { type: 'string', description: 'Emoji name without colons' } },
      required: ['channel', 'thread_ts', 'timestamp', 'name'],
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
    publicationScope: 'reactions.write',
    target: threadOf,
  },
  {
    name: 'mcp_slack_list_channels',
    description: 'List public channels the app can see.',
    inputSchema: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 200 }, cursor: { type: 'string' } } },
    annotations: { readOnlyHint: true, openWorldHint: true },
  },
] as const satisfies readonly ProviderTool[];

export class SlackToolError extends Error {
  override name = 'SlackToolError';
}

const METHODS = {
  mcp_slack_reply_in_thread: {
    method: 'chat.postMessage',
    input: z.object({ channel: z.string().min(1), thread_ts: z.string().min(1), text: z.string().min(1) }),
  },
  mcp_slack_post_message: { method: 'chat.postMessage', input: z.object({ channel: z.string().min(1), text: z.string().min(1) }) },
  mcp_slack_add_reaction: {
    method: 'reactions.add',
    input: z.object({ channel: z.string().min(1), thread_ts: z.string().min(1), timestamp: z.string().min(1), name: z.string().min(1) }).transform(({ thread_ts: _thread, ...rest }) => rest),
  },
  mcp_slack_list_channels: {
    method: 'conversations.list',
    input: z.object({ limit: z.number().int().min(1).max(200).optional(), cursor: z.string().optional() }),
  },
} as const;

export async function executeSlackTool(name: string, input: Record<string, unknown>, ctx: PublicationContext): Promise<unknown> {
  if (!(name in METHODS)) throw new SlackToolError(`unknown Slack tool ${name}`);
  const { method, input: schema } = METHODS[name as keyof typeof METHODS];
  const args = schema.parse(input);
  // A pasted bot token, or the one an OAuth v2 install stored.
  const token = ctx.installation.credentials.bot_token ?? ctx.installation.credentials.access_token;
  if (!token) throw new SlackToolError('this Slack installation has no bot token; reinstall with one to use tools');
  const res = await ctx.fetch(`${slackApiRoot(ctx.installation.settings)}/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { ok?: boolean; error?: string };
  // Slack's `error` is a documented code (e.g. channel_not_found), safe to show.
  if (!body.ok) throw new SlackToolError(`Slack refused: ${body.error ?? res.status}`);
  return body;
}
