/**
 * MCP settings: the server instructions a workspace's clients receive at initialize (MCP 2025-06-18 §Lifecycle,
 * InitializeResult.instructions), the organization's run-history retention, and how tools/list presents the
 * workspace's tools (call-tool.ts). Everyone may read them; changing them is a platform write (ADMIN and up).
 */
import { setRunHistoryRetention, updateWorkspaceSettings } from '@gatehouse/integrations-adapters-cf';
import { rateLimitInput, shownRateLimit, storedRateLimit } from './rate-limit.js';
import { SEARCH_MODE_THRESHOLD } from './call-tool.js';
import { z } from 'zod';
import { DEFAULT_INSTRUCTIONS } from '../mcp/instructions.js';
import { ToolError, defineCoreTool } from './tool-types.js';

/** Longest instructions accepted, characters. */
export const MAX_INSTRUCTIONS_CHARS = 8_000;

export const getMcpSettings = defineCoreTool({
  name: 'get_mcp_settings',
  title: 'Get MCP settings',
  description: 'The server instructions this workspace’s MCP clients receive when they connect.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({}),
  async run(_args, { principal }) {
    return {
      instructions: principal.workspaceInstructions ?? DEFAULT_INSTRUCTIONS,
      is_default: principal.workspaceInstructions === null,
      run_history_retention_days: principal.runHistoryRetentionDays,
      tool_discovery: principal.workspaceToolDiscovery,
      search_mode_threshold: SEARCH_MODE_THRESHOLD,
      rate_limit: shownRateLimit(principal.workspaceRateLimit),
    };
  },
});

/** Longest run-history retention an organization may choose, days. */
export const MAX_RUN_HISTORY_RETENTION_DAYS = 400;

export const updateMcpSettings = defineCoreTool({
  name: 'update_mcp_settings',
  title: 'Update MCP settings',
  description: `Set the server instructions for this workspace (null restores the default; clients receive them at their next initialize), how many days the organization keeps its run history (0 records none and deletes what is kept; default 30, at most ${MAX_RUN_HISTORY_RETENTION_DAYS}), a rate_limit of integration tool calls per user (or agent) and tool (null removes it; set_integration_rate_limit sets one installation's), and how tools/list presents this workspace's tools: tool_discovery "list" (every tool), "search" (a few core tools plus search_tools and call_tool), or "auto" (search above ${SEARCH_MODE_THRESHOLD} tools; the default).`,
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  destructive: true,
  idempotent: true,
  input: z
    .object({
      instructions: z.string().trim().min(1).max(MAX_INSTRUCTIONS_CHARS).nullable().optional(),
      run_history_retention_days: z.number().int().min(0).max(MAX_RUN_HISTORY_RETENTION_DAYS).optional(),
      tool_discovery: z.enum(['auto', 'list', 'search']).optional(),
      rate_limit: rateLimitInput
        .optional()
        .describe('Limit of integration tool calls per user (or agent) and tool; null removes it'),
    })
    .refine(
      (a) =>
        a.instructions !== undefined ||
        a.run_history_retention_days !== undefined ||
        a.tool_discovery !== undefined ||
        a.rate_limit !== undefined,
      { message: 'pass at least one of instructions, run_history_retention_days, tool_discovery, rate_limit' },
    ),
  async run({ instructions, run_history_retention_days: days, tool_discovery: discovery, rate_limit }, ctx) {
    const { db, principal } = ctx;
    const changed = {
      instructions,
      toolDiscovery: discovery,
      rateLimit: rate_limit === undefined ? undefined : storedRateLimit(rate_limit),
    };
    if (!(await updateWorkspaceSettings(db, principal, changed)))
      throw new ToolError('The workspace of this token no longer exists.');
    if (days !== undefined) await setRunHistoryRetention(db, principal, days);
    // Connected clients re-list: the same tools, presented the other way.
    if (discovery !== undefined && discovery !== principal.workspaceToolDiscovery) ctx.notifyToolsChanged();
    const current = instructions === undefined ? principal.workspaceInstructions : instructions;
    return {
      instructions: current ?? DEFAULT_INSTRUCTIONS,
      is_default: current === null,
      applies_to: 'sessions initialized from now on',
      run_history_retention_days: days ?? principal.runHistoryRetentionDays,
      tool_discovery: discovery ?? principal.workspaceToolDiscovery,
      rate_limit: shownRateLimit(rate_limit === undefined ? principal.workspaceRateLimit : storedRateLimit(rate_limit)),
    };
  },
});
