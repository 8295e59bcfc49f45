/**
 * Agents as core tools: create_agent, update_agent, delete_agent (ADMIN, mcp:admin), list_agents and get_agent (any
 * role, mcp:read). An agent is a model with instructions, the tools it may call, limits, and the installations or
 * providers whose webhook-fed sessions it works (`handles`). Its API key is encrypted like credentials and never
 * shown again; a `base_url` passes the outbound rules of upstreams (agents/agent-model.ts).
 */
import {
  createAgent,
  deleteAgent,
  findVisibleAgent,
  findVisibleInstallation,
  listAgentRuns,
  listVisibleAgents,
  updateAgent,
  type AgentRecord,
  type NewAgent,
} from '@gatehouse/integrations-adapters-cf';
import { ROLES, lesserRole, roleAtLeast } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { agentModelSchema, modelUrlProblem } from '../agents/agent-model.js';
import { NEVER_AGENT_TOOLS, agentToolset } from '../agents/agent-toolset.js';
import { visibleRun } from './agent-run-tools.js';
import { providerTools } from './provider-registry.js';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const name = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lowercase letters, digits, "-" and "_", at most 63, e.g. "triage-bot"')
  // Agents are named by id or name (findVisibleAgent): a name shaped like an id could shadow another agent.
  .refine(
    (n) => !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(n),
    'a name may not look like an id',
  )
  .describe('Unique in the organization, generic (e.g. "triage"); what invoke_agent names');

/** The fields create_agent takes (defaults added there); update_agent takes the same, each optional. */
const agentFields = z.object({
  description: z.string().max(2000).describe('What the agent is for (shown by list_agents)'),
  instructions: z.string().min(1).max(50_000).describe('Its system prompt'),
  model: agentModelSchema,
  api_key: z
    .string()
    .min(1)
    .max(1000)
    .describe('API key for the model (stored encrypted, never shown); default: the worker secret for the provider'),
  tools: z
    .array(z.string().min(1).max(128))
    .max(200)
    .describe('Tool names it may call (core and integration tools); default: the read-only tools its role may use'),
  role: z.enum(ROLES).describe('The role it acts with (never more than yours); default MEMBER'),
  max_steps: z.number().int().min(1).max(100).describe('Model calls per run (default 20)'),
  max_output_tokens: z.number().int().min(1).max(1_000_000).describe('Output tokens per run (default: no budget)'),
  timeout_seconds: z.number().int().min(5).max(3600).describe('Wall-clock limit of a run (default 300)'),
  handles: z
    .array(z.string().min(1).max(200))
    .max(50)
    .describe(
      'Installations (handle or id) or providers (e.g. "github") whose webhook sessions it works; default none',
    ),
  enabled: z.boolean().describe('Disabled agents run nothing (default true)'),
});
const field = agentFields.shape;

/** The stored `handles` (`installation:<id>` / `provider:<id>`) for what the caller named, or a ToolError. */
async function resolveHandles(names: readonly string[], ctx: ToolContext): Promise<string[]> {
  const providers = names.length ? await providerTools(ctx.integrations) : new Map();
  const resolved: string[] = [];
  for (const n of names) {
    const installation = await findVisibleInstallation(ctx.db, ctx.principal, n);
    if (installation) resolved.push(`installation:${installation.id}`);
    else if (providers.has(n)) resolved.push(`provider:${n}`);
    else
      throw new ToolError(
        `handles: "${n}" is neither an installation visible here (list_installed_integrations) nor a provider (${[...providers.keys()].join(', ')}).`,
      );
  }
  return [...new Set(resolved)];
}

/** Refusals that apply to create and update alike. */
function checkFields(
  args: { tools?: string[]; role?: AgentRecord['role']; model?: z.infer<typeof agentModelSchema> },
  ctx: ToolContext,
): void {
  const never = args.tools?.filter((t) => NEVER_AGENT_TOOLS.has(t)) ?? [];
  if (never.length) throw new ToolError(`tools: no agent may call ${never.join(', ')}.`);
  if (args.role && !roleAtLeast(ctx.principal.role, args.role))
    throw new ToolError(`role: an agent cannot act with more than your role (${ctx.principal.role}).`, {
      reason: 'insufficient_role',
      refused: true,
    });
  const url = args.model?.base_url;
  const problem = url ? modelUrlProblem(url, ctx.config.allowLoopbackUpstreams) : null;
  if (problem) throw new ToolError(`model.${problem}`, { reason: 'model_url_refused', refused: true });
}

/** Whether a model change points the agent's key at another provider or server. */
function modelEndpointChanged(before: Record<string, unknown>, after: z.infer<typeof agentModelSchema>): boolean {
  return before.provider !== after.provider || (before.base_url ?? null) !== (after.base_url ?? null);
}

/** An agent as the tools show it: never its key. */
export function agentView(a: AgentRecord) {
  return {
    id: a.id,
    name: a.name,
    description: a.description,
    scope: a.scope === 'local' ? 'Local' : 'Global',
    workspace_id: a.workspaceId,
    model: a.model,
    api_key_set: a.apiKey !== null,
    tools: a.tools ?? 'default: the read-only tools its role may use',
    role: a.role,
    max_steps: a.maxSteps,
    max_output_tokens: a.maxOutputTokens,
    timeout_seconds: Math.round(a.timeoutMs / 1000),
    handles: a.handles,
    enabled: a.enabled,
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
}

export const createAgentTool = defineCoreTool({
  name: 'create_agent',
  title: 'Create agent',
  description:
    'Create an agent: a model with instructions, the tools it may call and limits. invoke_agent runs it; with handles it also works the webhook-fed sessions of those installations or providers and replies in their threads where the session publication allows. Scope Local (default): this workspace; Global: every workspace.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  input: agentFields.extend({
    name,
    description: field.description.default(''),
    api_key: field.api_key.optional(),
    tools: field.tools.optional(),
    role: field.role.default('MEMBER'),
    max_steps: field.max_steps.default(20),
    max_output_tokens: field.max_output_tokens.optional(),
    timeout_seconds: field.timeout_seconds.default(300),
    handles: field.handles.default([]),
    enabled: field.enabled.default(true),
    scope: z.enum(['Local', 'Global']).default('Local'),
  }),
  async run(args, ctx) {
    checkFields(args, ctx);
    const row: NewAgent = {
      workspaceId: ctx.principal.workspaceId,
      scope: args.scope === 'Local' ? 'local' : 'global',
      name: args.name,
      description: args.description,
      instructions: args.instructions,
      model: args.model,
      apiKey: args.api_key ? await ctx.config.cipher.encrypt({ api_key: args.api_key }) : null,
      tools: args.tools ?? null,
      role: args.role,
      maxSteps: args.max_steps,
      maxOutputTokens: args.max_output_tokens ?? null,
      timeoutMs: args.timeout_seconds * 1000,
      handles: await resolveHandles(args.handles, ctx),
      enabled: args.enabled,
      createdBy: ctx.principal.userId,
    };
    const created = await createAgent(ctx.db, ctx.principal, row);
    if (!created) throw new ToolError(`An agent named "${args.name}" exists already in your organization.`);
    return { agent: agentView(created) };
  },
});

export const updateAgentTool = defineCoreTool({
  name: 'update_agent',
  title: 'Update agent',
  description: 'Change an agent: any field of create_agent; the fields left out keep their value.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  destructive: true,
  input: agentFields.partial().extend({
    agent: z.string().min(1).describe('Agent name or id'),
    name: name.optional(),
    api_key: field.api_key.nullable().optional().describe('New API key, or null to use the worker default'),
    max_output_tokens: field.max_output_tokens.nullable().optional(),
  }),
  async run(args, ctx) {
    const agent = await findVisibleAgent(ctx.db, ctx.principal, args.agent);
    if (!agent) throw new ToolError(`No agent "${args.agent}" here. Call list_agents for the names.`);
    if (!roleAtLeast(ctx.principal.role, agent.role))
      throw new ToolError(`${agent.name} acts as ${agent.role}: only a ${agent.role} or above may change it.`, {
        reason: 'insufficient_role',
        refused: true,
      });
    checkFields(args, ctx);
    const patch: Partial<NewAgent> = {
      // Whoever changes an agent vouches for it: its session runs act for them from now on.
      createdBy: ctx.principal.userId,
      ...(args.name !== undefined && { name: args.name }),
      ...(args.description !== undefined && { description: args.description }),
      ...(args.instructions !== undefined && { instructions: args.instructions }),
      ...(args.model !== undefined && { model: args.model }),
      ...(args.api_key !== undefined
        ? { apiKey: args.api_key === null ? null : await ctx.config.cipher.encrypt({ api_key: args.api_key }) }
        : // A key was given for one endpoint: a new provider or base_url without a new key drops it (never sent to
          // a server it was not given for).
          args.model !== undefined && modelEndpointChanged(agent.model, args.model) && { apiKey: null }),
      ...(args.tools !== undefined && { tools: args.tools }),
      ...(args.role !== undefined && { role: args.role }),
      ...(args.max_steps !== undefined && { maxSteps: args.max_steps }),
      ...(args.max_output_tokens !== undefined && { maxOutputTokens: args.max_output_tokens }),
      ...(args.timeout_seconds !== undefined && { timeoutMs: args.timeout_seconds * 1000 }),
      ...(args.handles !== undefined && { handles: await resolveHandles(args.handles, ctx) }),
      ...(args.enabled !== undefined && { enabled: args.enabled }),
    };
    const updated = await updateAgent(ctx.db, ctx.principal, agent.id, patch);
    if (updated === 'name_taken') throw new ToolError(`An agent named "${args.name}" exists already.`);
    if (!updated) throw new ToolError(`No agent "${args.agent}" here. Call list_agents for the names.`);
    return { agent: agentView(updated) };
  },
});

export const deleteAgentTool = defineCoreTool({
  name: 'delete_agent',
  title: 'Delete agent',
  description: 'Delete an agent with its runs. Runs in progress stop at their next step.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  destructive: true,
  idempotent: true,
  input: z.object({ agent: z.string().min(1).describe('Agent name or id') }),
  async run(args, ctx) {
    const agent = await findVisibleAgent(ctx.db, ctx.principal, args.agent);
    if (agent && !roleAtLeast(ctx.principal.role, agent.role))
      throw new ToolError(`${agent.name} acts as ${agent.role}: only a ${agent.role} or above may delete it.`, {
        reason: 'insufficient_role',
        refused: true,
      });
    if (!agent || !(await deleteAgent(ctx.db, ctx.principal, agent.id)))
      throw new ToolError(`No agent "${args.agent}" here. Call list_agents for the names.`);
    return { deleted: agent.name };
  },
});

export const listAgentsTool = defineCoreTool({
  name: 'list_agents',
  title: 'List agents',
  description: 'The agents of this workspace and the organization-wide ones: name, description, model, enabled.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({}),
  async run(_args, ctx) {
    const rows = await listVisibleAgents(ctx.db, ctx.principal);
    return {
      agents: rows.map((a) => ({
        name: a.name,
        description: a.description,
        model: a.model,
        enabled: a.enabled,
        scope: a.scope === 'local' ? 'Local' : 'Global',
      })),
    };
  },
});

export const getAgentTool = defineCoreTool({
  name: 'get_agent',
  title: 'Get agent',
  description:
    'One agent: its settings (never its key), the tools it could use if you invoked it now (its list ∩ your role and scopes), and its latest runs in this workspace.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({ agent: z.string().min(1).describe('Agent name or id') }),
  async run(args, ctx) {
    const agent = await findVisibleAgent(ctx.db, ctx.principal, args.agent);
    if (!agent) throw new ToolError(`No agent "${args.agent}" here. Call list_agents for the names.`);
    const asInvoked = { ...ctx, principal: { ...ctx.principal, role: lesserRole(ctx.principal.role, agent.role) } };
    const [usable, runs] = await Promise.all([
      agentToolset(agent.tools, asInvoked, false),
      listAgentRuns(ctx.db, ctx.principal, { agentId: agent.id, limit: 10 }),
    ]);
    return {
      agent: agentView(agent),
      usable_tools: usable.map((d) => d.name),
      recent_runs: runs
        .filter((r) => visibleRun(r, ctx))
        .map((r) => ({
          run_id: r.id,
          status: r.status,
          trigger: r.trigger,
          session_id: r.sessionId,
          created_at: iso(r.createdAt),
        })),
    };
  },
});
