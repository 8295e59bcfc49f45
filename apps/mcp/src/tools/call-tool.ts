/**
 * Search mode for large catalogs: instead of every tool, tools/list shows a few core tools plus `search_tools` and
 * `call_tool`. Clients cap what they take (VS Code 128 tools per request) and every listed tool costs context, so a
 * workspace with hundreds of integration tools is better served by finding the few a task needs. Both tools are
 * stateless and work in either protocol era (ADR 0014).
 *
 * - `search_tools { query, limit? }` ranks the tools the caller may call (tool-search.ts) and answers their full
 *   descriptors, `_integration` included where several installations provide one name.
 * - `call_tool { name, arguments }` runs one of them. It is unwrapped before anything else (mcp/server.ts
 *   `runToolCall`, mcp/scope-policy.ts), so the call gets exactly the checks, recording and answer of a direct
 *   tools/call of `name`.
 *
 * This module holds the mode and call_tool; search_tools is in discovery-tools.ts. The mode is the workspace's
 * `tool_discovery` setting: `list`, `search`, or `auto` (search once the caller would be
 * listed more than SEARCH_MODE_THRESHOLD tools).
 */
import type { Principal } from '@gatehouse/integrations-adapters-cf';
import type { McpToolDescriptor } from '@gatehouse/integrations-core';
import { ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** Listed tools above which an `auto` workspace switches to search mode (VS Code takes at most 128 per request). */
export const SEARCH_MODE_THRESHOLD = 128;

/** The tool that runs another tool by name. */
export const CALL_TOOL_NAME = 'call_tool';

/** How tools/list presents tools to one caller. */
export type ListingMode = 'list' | 'search';

/** The listing mode for a caller who would see `listedInListMode` tools in list mode. */
export function listingMode(
  principal: Pick<Principal, 'workspaceToolDiscovery'>,
  listedInListMode: number,
): ListingMode {
  const setting = principal.workspaceToolDiscovery;
  if (setting !== 'auto') return setting;
  return listedInListMode > SEARCH_MODE_THRESHOLD ? 'search' : 'list';
}

const callToolInput = z.object({
  name: z.string().min(1).describe('The tool to run, as search_tools named it'),
  arguments: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('Its arguments, as its inputSchema from search_tools describes them'),
});

const { $schema: _drop, ...callToolSchema } = z.toJSONSchema(callToolInput, { io: 'input' }) as Record<string, unknown>;

/** call_tool's descriptor (listed in search mode; not a core tool: runToolCall unwraps it). */
export const CALL_TOOL_DESCRIPTOR: McpToolDescriptor = {
  name: CALL_TOOL_NAME,
  title: 'Call tool',
  description:
    'Run a tool found with search_tools: pass its name and arguments. The same checks and answer as calling it directly.',
  inputSchema: callToolSchema as McpToolDescriptor['inputSchema'],
  annotations: { readOnlyHint: false, openWorldHint: true },
};

/**
 * The tool a call_tool request names, with its arguments. Throws ProtocolError InvalidParams (−32602) for a malformed
 * request or one that names call_tool itself (no nesting).
 */
export function callToolTarget(args: Record<string, unknown>): { name: string; args: Record<string, unknown> } {
  const parsed = callToolInput.safeParse(args);
  if (!parsed.success)
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Invalid arguments for call_tool: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`,
    );
  if (parsed.data.name === CALL_TOOL_NAME)
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'call_tool cannot run call_tool; name the tool itself.');
  return { name: parsed.data.name, args: parsed.data.arguments };
}
