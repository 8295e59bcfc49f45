/**
 * SessionDispatch: what the integrations worker sends the main worker when a webhook should start or continue an
 * agent session.
 *
 * Carried as the body of a signed `session-dispatch` message (internal-message.ts) in the RPC call
 * `MainRpc.deliverSessionDispatch` over the MAIN service binding (internal-rpc.ts).
 */
import { z } from 'zod';
import type { WebhookEvent } from './provider.js';

/** SessionDispatch.reply: how an agent answers in the session's thread. */
export const sessionReplySchema = z.object({
  tool: z.string().min(1).max(128),
  arguments: z.record(z.string(), z.unknown()),
  textArgument: z.string().min(1).max(64),
});
export type SessionReply = z.infer<typeof sessionReplySchema>;

export const sessionDispatchSchema = z.object({
  /** Unique per dispatch; the receiver's unique key makes redelivery a no-op. `<provider>:<installation id>:<delivery id>`. */
  dispatchId: z.string().min(1).max(200),
  organizationId: z.string().min(1),
  workspaceId: z.string().min(1).nullable(),
  installationId: z.string().min(1),
  provider: z.string().min(1).max(64),
  /** External thread, e.g. `octo-org/repo#42`: sessions are keyed by (installation, threadKey). */
  threadKey: z.string().min(1).max(500),
  title: z.string().max(500).nullable(),
  /** The publication a new session gets: where the agent may write back (see IntegrationProvider.publication). */
  publication: z
    .object({
      granularity: z.enum(['workspace', 'issue', 'user']),
      target: z.string().min(1).max(500),
      scopes: z.array(z.string().min(1).max(100)).max(50),
    })
    .nullable()
    .default(null),
  /** The event closes the thread: the session's status becomes `closed` (else `active`). See WebhookEvent.closesThread. */
  closesThread: z.boolean().default(false),
  /**
   * How an agent working the session answers in its thread: the provider's own tool, its arguments naming the
   * thread, and the argument the answer's text goes in (e.g. `mcp_github_comment_on_issue`, `{repository, number}`,
   * `body`). The call still passes the session's publication like any other write. Null: the session has no reply.
   */
  reply: sessionReplySchema.nullable().default(null),
  event: z.object({
    name: z.string().min(1).max(200),
    actor: z.string().max(200).nullable(),
    summary: z.string().max(2000),
    data: z.record(z.string(), z.unknown()),
  }),
});
export type SessionDispatch = z.infer<typeof sessionDispatchSchema>;
/** A SessionDispatch before defaults: `publication` and `closesThread` may be left out. */
export type SessionDispatchInput = z.input<typeof sessionDispatchSchema>;

/**
 * Largest event `data` a dispatch carries, bytes of its JSON. A dispatch travels as a queue message, and Cloudflare
 * Queues refuses messages over 128 KB (https://developers.cloudflare.com/queues/platform/limits/): a huge comment
 * must become a capped event, not a refused `send` and a lost delivery. The custom provider's envelope has the same
 * limit (packages/catalog standard-webhooks.ts).
 */
export const MAX_DISPATCH_EVENT_DATA_BYTES = 32 * 1024;
/** A string field longer than this (characters) is cut first when the data is over the limit. */
const LONG_STRING_CHARS = 4 * 1024;

const jsonBytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/**
 * `data` within MAX_DISPATCH_EVENT_DATA_BYTES: unchanged when it fits; else long strings are cut (marked with
 * `…[truncated]`), then the largest fields dropped until it fits, and `data_truncated: true` with the original
 * size in `data_bytes` tells the agent that more exists (the event's `url`, when there is one, has the rest).
 */
export function capEventData(data: Record<string, unknown>): Record<string, unknown> {
  const original = jsonBytes(data);
  if (original <= MAX_DISPATCH_EVENT_DATA_BYTES) return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data))
    out[k] = typeof v === 'string' && v.length > LONG_STRING_CHARS ? `${v.slice(0, LONG_STRING_CHARS)}…[truncated]` : v;
  const marked = () => ({ ...out, data_truncated: true, data_bytes: original });
  while (jsonBytes(marked()) > MAX_DISPATCH_EVENT_DATA_BYTES) {
    const largest = Object.keys(out).sort((a, b) => jsonBytes(out[b]) - jsonBytes(out[a]))[0];
    if (largest === undefined) break;
    delete out[largest];
  }
  return marked();
}

/**
 * The SessionDispatch for a verified event of an installation: the usual body of a provider's `dispatch`. The
 * dispatch id is `<provider>:<installation id>:<vendor delivery id>`, so the main worker appends each delivery once.
 */
export function sessionDispatchFor(
  event: Omit<WebhookEvent, 'continuation'>,
  installation: { id: string; organizationId: string; workspaceId: string | null },
  sessionScopes: readonly string[] = [],
  reply: SessionReply | null = null,
): SessionDispatch {
  return {
    // The installation id (unguessable, ours) scopes the vendor's delivery id, which the signature does not cover:
    // nobody can pre-claim another organization's delivery ids.
    dispatchId: `${event.provider}:${installation.id}:${event.deliveryId}`,
    organizationId: installation.organizationId,
    workspaceId: installation.workspaceId,
    installationId: installation.id,
    provider: event.provider,
    threadKey: event.threadKey,
    title: event.title,
    publication: sessionScopes.length
      ? { granularity: 'issue', target: event.threadKey, scopes: [...sessionScopes] }
      : null,
    closesThread: event.closesThread === true,
    reply,
    event: { name: event.name, actor: event.actor, summary: event.summary, data: capEventData(event.data) },
  };
}
