/**
 * MCP settings: the server instructions a workspace's clients receive at initialize (MCP 2025-06-18 §Lifecycle,
 * InitializeResult.instructions). Everyone may read them; changing them is a platform write (ADMIN and up).
 */
import { setWorkspaceInstructions } from '@gatehouse/integrations-adapters-cf';
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
    };
  },
});

export const updateMcpSettings = defineCoreTool({
  name: 'update_mcp_settings',
  title: 'Update MCP settings',
  description:
    'Set the server instructions for this workspace (null restores the default). Clients receive them at their next initialize.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  input: z.object({ instructions: z.string().trim().min(1).max(MAX_INSTRUCTIONS_CHARS).nullable() }),
  async run({ instructions }, { db, principal }) {
    if (!(await setWorkspaceInstructions(db, principal, instructions)))
      throw new ToolError('The workspace of this token no longer exists.');
    return {
      instructions: instructions ?? DEFAULT_INSTRUCTIONS,
      is_default: instructions === null,
      applies_to: 'sessions initialized from now on',
    };
  },
});
