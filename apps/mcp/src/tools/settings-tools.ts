/**
 * MCP settings: the server instructions a workspace's clients receive at initialize (MCP 2025-06-18 §Lifecycle,
 * InitializeResult.instructions). Everyone may read them; changing them is a platform write (ADMIN and up).
 */
import { setRunHistoryRetention, setWorkspaceInstructions } from '@gatehouse/integrations-adapters-cf';
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
    };
  },
});

/** Longest run-history retention an organization may choose, days. */
export const MAX_RUN_HISTORY_RETENTION_DAYS = 400;

export const updateMcpSettings = defineCoreTool({
  name: 'update_mcp_settings',
  title: 'Update MCP settings',
  description: `Set the server instructions for this workspace (null restores the default; clients receive them at their next initialize), and how many days the organization keeps its run history (0 records none and deletes what is kept; default 30, at most ${MAX_RUN_HISTORY_RETENTION_DAYS}).`,
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  input: z
    .object({
      instructions: z.string().trim().min(1).max(MAX_INSTRUCTIONS_CHARS).nullable().optional(),
      run_history_retention_days: z.number().int().min(0).max(MAX_RUN_HISTORY_RETENTION_DAYS).optional(),
    })
    .refine((a) => a.instructions !== undefined || a.run_history_retention_days !== undefined, {
      message: 'pass instructions, run_history_retention_days or both',
    }),
  async run({ instructions, run_history_retention_days: days }, { db, principal }) {
    if (instructions !== undefined && !(await setWorkspaceInstructions(db, principal, instructions)))
      throw new ToolError('The workspace of this token no longer exists.');
    if (days !== undefined) await setRunHistoryRetention(db, principal, days);
    const current = instructions === undefined ? principal.workspaceInstructions : instructions;
    return {
      instructions: current ?? DEFAULT_INSTRUCTIONS,
      is_default: current === null,
      applies_to: 'sessions initialized from now on',
      run_history_retention_days: days ?? principal.runHistoryRetentionDays,
    };
  },
});
