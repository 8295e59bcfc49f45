/**
 * invoke_agent (mcp:execute) and get_agent_run (mcp:read). A run executes on the AGENT_RUNS workflow
 * (agents/agent-run-workflow.ts); invoke_agent waits for it up to `wait_seconds` and answers the run as it stands
 * then: its output and steps when it ended, `status: "running"` and the `run_id` when it is still going
 * (get_agent_run follows it). Invoking never grants more than the caller has: the run's role is the lesser of the
 * agent's and the caller's, its scopes the caller's.
 */
import {
  createAgentRun,
  finishAgentRun,
  findSession,
  findVisibleAgent,
  getAgentRun,
  type AgentRunRecord,
  type AgentRunStepRecord,
} from '@gatehouse/integrations-adapters-cf';
import { lesserRole, newTraceId, roleAtLeast, traceIdForThread } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { agentModelSchema, resolveModel } from '../agents/agent-model.js';
import { startRunWorkflow } from '../agents/start-runs.js';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Longest wait of invoke_agent, seconds (clients commonly end a tool call after 60 s). */
const MAX_WAIT_SECONDS = 55;
/** How often invoke_agent looks at the run while waiting, ms. */
const POLL_MS = 150;

function stepView(s: AgentRunStepRecord) {
  return {
    seq: s.seq,
    kind: s.kind,
    status: s.status,
    ...(s.tool ? { tool: s.tool } : {}),
    ...(s.kind === 'model_call' ? { input_tokens: s.inputTokens, output_tokens: s.outputTokens } : {}),
    ...s.detail,
    duration_ms: s.durationMs,
  };
}

/** A run as invoke_agent and get_agent_run answer it. */
export function runView(run: AgentRunRecord & { stepList: AgentRunStepRecord[] }, agentName: string) {
  return {
    run_id: run.id,
    agent: agentName,
    status: run.status,
    trigger: run.trigger,
    session_id: run.sessionId,
    output: run.output,
    error: run.reason ? { reason: run.reason, message: run.error } : null,
    steps: run.stepList.map(stepView),
    input_tokens: run.inputTokens,
    output_tokens: run.outputTokens,
    trace: run.traceId,
    created_at: iso(run.createdAt),
    finished_at: iso(run.finishedAt),
  };
}

/** Whether the caller may see the run: runs of their workspace; a MEMBER sees their own invokes and session runs. */
export function visibleRun(run: AgentRunRecord, ctx: ToolContext): boolean {
  if (run.workspaceId !== ctx.principal.workspaceId) return false;
  return roleAtLeast(ctx.principal.role, 'ADMIN') || run.trigger === 'session' || run.userId === ctx.principal.userId;
}

export const invokeAgentTool = defineCoreTool({
  name: 'invoke_agent',
  title: 'Invoke agent',
  description:
    'Run an agent on an input: it calls the tools it may use (its list ∩ your role and scopes) and answers its final output, the steps it took and a run_id. With _session, it works in that session’s context (its events, its publication). A run still going after wait_seconds answers status "running": follow it with get_agent_run.',
  scope: 'mcp:execute',
  minRole: 'MEMBER',
  readOnly: false,
  openWorld: true,
  input: z.object({
    agent: z.string().min(1).describe('Agent name or id (list_agents)'),
    input: z.string().min(1).max(100_000).describe('What to do: the user message of the run'),
    _session: z.string().min(1).optional().describe('Agent session (list_sessions) the run acts for'),
    wait_seconds: z.number().int().min(0).max(MAX_WAIT_SECONDS).default(25).describe('How long to wait for the end'),
  }),
  async run(args, ctx) {
    const agent = await findVisibleAgent(ctx.db, ctx.principal, args.agent);
    if (!agent) throw new ToolError(`No agent "${args.agent}" here. Call list_agents for the names.`);
    if (!agent.enabled)
      throw new ToolError(
        `The agent ${agent.name} is disabled. An ADMIN enables it with update_agent ("enabled": true) once it has a model: its own model and api_key, or the worker's OPENAI_API_KEY (with OPENAI_BASE_URL for a compatible server) or ANTHROPIC_API_KEY.`,
        { reason: 'agent_disabled' },
      );
    // A model that cannot be called is this call's clear error, not a failed run later.
    const apiKey = agent.apiKey ? ((await ctx.config.cipher.decrypt(agent.apiKey)).api_key ?? null) : null;
    const model = resolveModel(agentModelSchema.parse(agent.model), apiKey, ctx.modelEnv, {
      allowLoopback: ctx.config.allowLoopbackUpstreams,
      fetch: ctx.fetch,
    });
    if (!model.ok) throw new ToolError(model.message, { reason: model.reason });
    let traceId = newTraceId();
    let input = args.input;
    if (args._session !== undefined) {
      const session = await findSession(ctx.db, ctx.principal, args._session);
      if (!session || (session.workspaceId !== null && session.workspaceId !== ctx.principal.workspaceId))
        throw new ToolError(`No session "${args._session}" in this workspace. Call list_sessions for the ids.`);
      traceId = await traceIdForThread(session.installationId, session.threadKey);
      input = `${args.input}\n\n(This run acts for the session on ${session.threadKey}; get_session shows its events.)`;
    }
    const run = await createAgentRun(ctx.db, ctx.principal, {
      workspaceId: ctx.principal.workspaceId,
      agentId: agent.id,
      sessionId: args._session ?? null,
      trigger: 'invoke',
      userId: ctx.principal.userId,
      role: lesserRole(agent.role, ctx.principal.role),
      scopes: [...ctx.scopes],
      input,
      traceId,
    });
    try {
      await startRunWorkflow(ctx.agentRuns, ctx.principal.organizationId, run.id);
    } catch (err) {
      // Not left queued for the cron to start behind the caller's back: the caller hears it failed, and it did.
      await finishAgentRun(ctx.db, run, { status: 'failed', reason: 'start_failed', error: 'the run could not start' });
      throw err;
    }
    const deadline = Date.now() + args.wait_seconds * 1000;
    for (;;) {
      const current = await getAgentRun(ctx.db, ctx.principal, run.id);
      if (!current) throw new ToolError('The run was deleted with its agent while it ran.');
      if (current.status === 'completed' || current.status === 'failed' || Date.now() >= deadline)
        return runView(current, agent.name);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  },
});

export const getAgentRunTool = defineCoreTool({
  name: 'get_agent_run',
  title: 'Get agent run',
  description:
    'One agent run: status (queued, running, completed, failed), each step (model calls with token counts; tool calls with arguments and result, secrets redacted), output, error, and its trace (search_run_history with trace).',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({ run_id: z.string().min(1) }),
  async run({ run_id }, ctx) {
    const run = await getAgentRun(ctx.db, ctx.principal, run_id);
    if (!run || !visibleRun(run, ctx)) throw new ToolError(`No agent run "${run_id}" you can see in this workspace.`);
    const agent = await findVisibleAgent(ctx.db, ctx.principal, run.agentId);
    return runView(run, agent?.name ?? run.agentId);
  },
});
