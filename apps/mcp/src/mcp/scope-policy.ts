/**
 * Scopes on top of roles (the MCP gateway docs: "OAuth tokens — access is limited by the scopes granted… Each tool
 * requires a specific scope"). Every core tool declares its scope; integration tools need mcp:execute; any MCP
 * request needs mcp:read. A request lacking a scope gets HTTP 403 `insufficient_scope` naming every scope it needs
 * (RFC 6750 §3.1, MCP 2025-06-18 §Authorization "Scope challenge"), before anything runs. Roles apply as well:
 * API tokens carry every scope but keep their role's limits.
 */
import type { McpScope } from '@gatehouse/integrations-core';
import { CALL_TOOL_NAME } from '../tools/call-tool.js';
import { CORE_TOOLS } from '../tools/core-tools.js';

/** Scope every MCP request needs. */
export const BASE_SCOPE: McpScope = 'mcp:read';
/** Scope integration tools (calls to third-party services) need. */
export const INTEGRATION_SCOPE: McpScope = 'mcp:execute';

// Built on first use: the agent tools are core tools that read the tool lists, so core-tools.ts and this module
// import each other, and neither may use the other while modules load.
let coreScope: ReadonlyMap<string, McpScope> | undefined;

/** The scopes one JSON-RPC message needs. */
function scopesFor(message: unknown): McpScope[] {
  if (!message || typeof message !== 'object') return [BASE_SCOPE];
  const m = message as { method?: unknown; params?: { name?: unknown; arguments?: { name?: unknown } } };
  if (m.method !== 'tools/call' || typeof m.params?.name !== 'string') return [BASE_SCOPE];
  coreScope ??= new Map(CORE_TOOLS.map((t) => [t.name, t.scope]));
  // call_tool needs what the tool it runs needs (a core tool's scope, else mcp:execute), as a direct call would.
  const inner = m.params.name === CALL_TOOL_NAME ? m.params.arguments?.name : undefined;
  const name = typeof inner === 'string' ? inner : m.params.name;
  return [BASE_SCOPE, coreScope.get(name) ?? INTEGRATION_SCOPE];
}

/** Scopes the body (a message or a batch) needs that `granted` lacks; empty when it may proceed. */
export function missingScopes(body: unknown, granted: readonly string[]): McpScope[] {
  const needed = new Set((Array.isArray(body) ? body : [body]).flatMap(scopesFor));
  return [...needed].filter((s) => !granted.includes(s));
}
