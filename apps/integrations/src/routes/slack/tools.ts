/**
 * Slack tools (mcp_slack_<tool>) over the Web API with the installation's bot token.
 * https://api.slack.com/methods/chat.postMessage
 */
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';
import { z } from 'zod';

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
    target: (input: Record<string, unknown>) => (typeof input.channel === 'string' && typeof input.thread_ts === 'string' ? `${input.channel}:${input.thread_ts}` : null),
  },
] as const satisfies readonly ProviderTool[];

export class SlackToolError extends Error {
  override name = 'SlackToolError';
}

export async function executeSlackTool(name: string, input: Record<string, unknown>, ctx: PublicationContext): Promise<unknown> {
  if (name !== 'mcp_slack_reply_in_thread') throw new SlackToolError(`unknown Slack tool ${name}`);
  const args = z.object({ channel: z.string().min(1), thread_ts: z.string().min(1), text: z.string().min(1) }).parse(input);
  const token = ctx.installation.credentials.bot_token;
  if (!token) throw new SlackToolError('this Slack installation has no bot token; reinstall with one to use tools');
  const res = await ctx.fetch('https://slack.com/api/chat.postMessage', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(args),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json()) as { ok?: boolean; error?: string };
  if (!body.ok) throw new SlackToolError(`Slack refused: ${body.error ?? res.status}`);
  return body;
}
