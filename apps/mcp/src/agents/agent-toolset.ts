/**
 * The tools an agent run may call (calling one: agent-tool-call.ts). Usable = the agent's `tools` list (by default
 * every read-only tool) ∩ what the run's role and scopes may call ∩ what exists now; invoke_agent and the agent
 * management tools are never usable (no agent starts or reshapes agents). Whatever a model answers, a call outside
 * that set is refused and recorded as refused: text from webhooks or upstreams can ask for anything and gets nothing.
 */
import type { McpToolDescriptor } from '@gatehouse/integrations-core';
import { INTEGRATION_SCOPE } from '../mcp/scope-policy.js';
import { coreDescriptorsFor } from '../tools/core-tools.js';
import { EMPTY_TOOLSET, SESSION_ARGUMENT } from '../tools/integration-toolset.js';
import type { ToolContext } from '../tools/tool-types.js';
import { getIntegrationToolset } from '../tools/toolset-cache.js';

/**
 * Core tools no agent may call, whatever its list says: starting or reshaping agents, and granting publications (an
 * agent would widen where it may write).
 */
export const NEVER_AGENT_TOOLS: ReadonlySet<string> = new Set([
  'invoke_agent',
  'create_agent',
  'update_agent',
  'delete_agent',
  'grant_publication',
]);

/**
 * Read-only core tools left out of the default set (an agent whose `tools` is null): they read across the
 * workspace (other sessions, the run history, other agents' runs, settings), and a session run's answer is posted
 * where outsiders read it. An ADMIN may still list them in `tools`.
 */
const NOT_BY_DEFAULT: ReadonlySet<string> = new Set([
  'list_sessions',
  'get_session',
  'search_run_history',
  'get_run_history_item',
  'list_agents',
  'get_agent',
  'get_agent_run',
  'get_mcp_settings',
  'get_my_profile',
]);

/** The tools a run may call now, as the model is shown them (`_session` left out when the run has a session). */
export async function agentToolset(
  tools: readonly string[] | null,
  ctx: ToolContext,
  hasSession: boolean,
): Promise<McpToolDescriptor[]> {
  const core = coreDescriptorsFor(ctx.principal.role, ctx.scopes);
  const integration = ctx.scopes.includes(INTEGRATION_SCOPE)
    ? await getIntegrationToolset(ctx.db, ctx.principal, ctx.integrations)
    : EMPTY_TOOLSET;
  return [...core, ...integration.descriptors]
    .filter((d) => !NEVER_AGENT_TOOLS.has(d.name))
    .filter((d) =>
      tools ? tools.includes(d.name) : d.annotations?.readOnlyHint === true && !NOT_BY_DEFAULT.has(d.name),
    )
    .map((d) => (hasSession ? withoutSessionArgument(d) : d));
}

function withoutSessionArgument(d: McpToolDescriptor): McpToolDescriptor {
  const properties = d.inputSchema.properties as Record<string, unknown> | undefined;
  if (!properties || !(SESSION_ARGUMENT in properties)) return d;
  const { [SESSION_ARGUMENT]: _implicit, ...rest } = properties;
  return { ...d, inputSchema: { ...d.inputSchema, properties: rest } };
}
