/**
 * Rate limits of integration tool calls, per (user or agent, tool, installation): the installation's own limit, else
 * its workspace's, counted exactly in AUTH_DB (adapters rate-limits.ts, GCRA) so every isolate and process shares
 * the count. An agent's calls count as the agent's, not as the user who made it. A refused call is a tool error with
 * `retry_after_seconds`, and `structuredContent.error.code` −32029 for a client that reads codes.
 */
import {
  findVisibleInstallation,
  setInstallationRateLimit,
  takeRateToken,
  type InstallationRecord,
  type RateLimit,
} from '@gatehouse/integrations-adapters-cf';
import { z } from 'zod';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

/** JSON-RPC-style code of a rate-limited call, in the refused result's structuredContent. */
export const RATE_LIMITED = -32029;

/** The input shape of a limit in the settings tools (snake case on the wire). */
export const rateLimitInput = z
  .object({
    requests_per_minute: z.number().int().min(1).max(6_000).describe('Calls a minute allowed on average'),
    burst: z.number().int().min(1).max(1_000).describe('Calls allowed at once above that rate'),
  })
  .nullable();

/** The stored form of rateLimitInput. */
export function storedRateLimit(input: z.infer<typeof rateLimitInput>): RateLimit | null {
  return input ? { requestsPerMinute: input.requests_per_minute, burst: input.burst } : null;
}

/** The wire form of a stored limit. */
export function shownRateLimit(limit: RateLimit | null) {
  return limit ? { requests_per_minute: limit.requestsPerMinute, burst: limit.burst } : null;
}

/** Counts the call of `tool` on `installation`; throws a refused ToolError when the limit is exhausted. */
export async function enforceRateLimit(
  ctx: ToolContext,
  installation: InstallationRecord,
  tool: string,
): Promise<void> {
  const limit = installation.rateLimit ?? ctx.principal.workspaceRateLimit;
  if (!limit) return;
  const { principal } = ctx;
  const who = principal.tokenId.startsWith('agent:') ? principal.tokenId : `user:${principal.userId}`;
  // The limit is part of the key: a tightened limit starts afresh instead of inheriting a TAT earned under a looser
  // one (a burst of 1,000 at 1 a minute would otherwise lock the caller out for hours).
  const key = `${principal.organizationId}:${installation.id}:${tool}:${who}:${limit.requestsPerMinute}/${limit.burst}`;
  const decision = await takeRateToken(ctx.db, key, limit);
  if (decision.ok) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  throw new ToolError(
    `Rate limit reached for ${tool} on "${installation.title}": ${limit.requestsPerMinute} calls a minute ` +
      `(bursts of ${limit.burst}) per user. Try again in ${retryAfterSeconds} s.`,
    {
      reason: 'rate_limited',
      refused: true,
      structured: {
        error: { code: RATE_LIMITED, message: 'rate limited' },
        retry_after_seconds: retryAfterSeconds,
      },
    },
  );
}

export const setIntegrationRateLimit = defineCoreTool({
  name: 'set_integration_rate_limit',
  title: 'Set integration rate limit',
  description:
    "Limit the calls each user (or agent) makes to each tool of one installation: requests_per_minute on average, burst at once; null falls back to the workspace's limit (update_mcp_settings rate_limit). Counted exactly across every connection.",
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  destructive: true,
  idempotent: true,
  input: z.object({
    integration: z.string().min(1).describe('Handle of the installation, from list_installed_integrations'),
    rate_limit: rateLimitInput,
  }),
  async run({ integration, rate_limit }, ctx) {
    const row = await findVisibleInstallation(ctx.db, ctx.principal, integration);
    if (!row)
      throw new ToolError(
        `No installation "${integration}" in this workspace. Call list_installed_integrations for the handles.`,
      );
    const limit = storedRateLimit(rate_limit);
    await setInstallationRateLimit(ctx.db, ctx.principal, row.id, limit);
    return {
      integration: row.handle,
      rate_limit: shownRateLimit(limit),
      effective: shownRateLimit(limit ?? ctx.principal.workspaceRateLimit),
    };
  },
});
