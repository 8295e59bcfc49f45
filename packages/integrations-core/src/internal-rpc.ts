/**
 * The Workers RPC interfaces between the two workers (https://developers.cloudflare.com/workers/runtime-apis/rpc/):
 * each worker's default export is a `WorkerEntrypoint` implementing one of these, and the other reaches it through
 * its service binding (`INTEGRATIONS` in apps/mcp, `MAIN` in apps/integrations). Nothing here answers on a public
 * URL. Arguments and results are plain structured-clonable data; outcomes are tagged results, so a refusal is an
 * answer and a thrown error (the callee failed, or could not be reached) is what callers retry.
 *
 * The two workers deploy separately, so for a while one may run a version older than the other: callers validate
 * what comes back (provider-registry.ts in apps/mcp parses the registry with zod) and treat an unknown method as a
 * failure, never as an empty answer.
 */
import { z } from 'zod';
import type { SignedInternalMessage } from './internal-message.js';
import type { McpToolDescriptor } from './provider.js';
import type { UpstreamExchange } from './run-history.js';

/**
 * A provider tool call the main worker sends the integrations worker, as the body of a signed `provider-tool`
 * message: who calls, which installation and tool, and the agent session the call acts for (its publication
 * decides where the tool may write).
 */
export const providerToolCallSchema = z.object({
  organizationId: z.string().min(1),
  workspaceId: z.string().min(1),
  userId: z.string().min(1),
  installationId: z.string().min(1),
  tool: z.string().min(1).max(100),
  arguments: z.record(z.string(), z.unknown()),
  sessionId: z.string().min(1).nullable(),
  /** The caller records run history: answer with the upstream exchanges made, redacted (a sender without it: no). */
  record: z.boolean().default(false),
});
export type ProviderToolCall = z.infer<typeof providerToolCallSchema>;
/** A ProviderToolCall as a sender writes it (`record` may be left out). */
export type ProviderToolCallInput = z.input<typeof providerToolCallSchema>;

/**
 * What a provider tool call came to. `status` classifies a refusal with the HTTP status it would have had on a
 * route (400 bad arguments, 401 bad signature or replay, 403 outside the publication, 404 unknown installation,
 * session or tool, 502 the vendor failed); `message` says what to fix and never carries upstream bodies or secrets.
 */
export type ProviderToolOutcome = (
  | { ok: true; result: unknown }
  | { ok: false; status: 400 | 401 | 403 | 404 | 502; error: string; message: string }
) & {
  /**
   * With `record`: what the run history keeps of the call, redacted with the installation's secrets (which the main
   * worker never holds): the upstream exchanges, the arguments and the result (run-history.ts).
   */
  recorded?: { exchanges: UpstreamExchange[]; arguments: unknown; result?: unknown };
};

/** A code provider's tool as the registry publishes it. */
export interface ProviderToolInfo extends McpToolDescriptor {
  /** Publication scope the tool needs (a write), or null (a read). */
  publicationScope: string | null;
}

/** A publication scope a provider offers, with the granularities it may be granted at. */
export interface ProviderScopeInfo {
  name: string;
  granularities: string[];
}

/** One code provider of the integrations worker's registry: what the main worker lists as mcp_<provider>_<tool>. */
export interface ProviderRegistryEntry {
  id: string;
  displayName: string;
  tools: ProviderToolInfo[];
  publicationScopes: ProviderScopeInfo[];
}

/** What the main worker's dispatch receiver answered. */
export type SessionDispatchOutcome =
  | { ok: true; sessionId: string; appended: boolean }
  | {
      ok: false;
      /** Refused for good: the sender does not retry it (the delivery is marked failed). */
      reason: 'invalid_signature' | 'replayed' | 'invalid_dispatch' | 'unknown_installation';
      message: string;
    };

/** The integrations worker's RPC methods (its default export), called by the main worker. */
export interface IntegrationsRpc {
  /** The code providers, their tools and publication scopes. Changes only with a deployment. */
  providerRegistry(): Promise<ProviderRegistryEntry[]>;
  /** Runs a provider tool for a signed `provider-tool` message whose body is a ProviderToolCall. */
  callProviderTool(message: SignedInternalMessage): Promise<ProviderToolOutcome>;
}

/** The main worker's RPC methods (its default export), called by the integrations worker's queue consumer. */
export interface MainRpc {
  /**
   * Appends a signed `session-dispatch` message (body: a SessionDispatch) to its session, once per dispatch id.
   * Throws when it could not be stored (the sender retries); answers a refusal when it never will be.
   */
  deliverSessionDispatch(message: SignedInternalMessage): Promise<SessionDispatchOutcome>;
}
