/**
 * SessionDispatch: what the integrations worker sends the main worker when a webhook should start or continue an
 * agent session.
 *
 * Carried as the body of a signed `session-dispatch` message (internal-message.ts) in the RPC call
 * `MainRpc.deliverSessionDispatch` over the MAIN service binding (internal-rpc.ts).
 */
import { z } from 'zod';
import type { WebhookEvent } from './provider.js';

export const sessionDispatchSchema = z.object({
  /** Unique per dispatch; the receiver's unique key makes redelivery a no-op. `<provider>:<installation id>:<delivery id>`. */
  dispatchId: z.string().min(1).max(200),
  organizationId: z.string().min(1),
  workspaceId: z.string().min(1).nullable(),
  installationId: z.string().min(1),
  provider: z.string().min(1).max(64),
  /** External thread, e.g. `octo-org/repo#42`: sessions are keyed by (organization, provider, threadKey). */
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
 * The SessionDispatch for a verified event of an installation: the usual body of a provider's `dispatch`. The
 * dispatch id is `<provider>:<installation id>:<vendor delivery id>`, so the main worker appends each delivery once.
 */
export function sessionDispatchFor(
  event: Omit<WebhookEvent, 'continuation'>,
  installation: { id: string; organizationId: string; workspaceId: string | null },
  sessionScopes: readonly string[] = [],
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
    event: { name: event.name, actor: event.actor, summary: event.summary, data: event.data },
  };
}
