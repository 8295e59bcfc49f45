/**
 * The last steps of an agent run (agent-run-workflow.ts): the reply in the session's thread, through the provider's
 * own tool, and the end of the run with its run-history item and the session's next run. Like every step body, each
 * writes its own rows and returns plain JSON.
 */
import {
  appendAgentReplyEvent,
  createDb,
  findSession,
  finishAgentRun,
  putAgentRunStep,
  recordRunHistory,
} from '@gatehouse/integrations-adapters-cf';
import { redactCredentials, redactRecorded, secretValuesOf } from '@gatehouse/integrations-core';
import { agentToolContext } from './agent-context.js';
import { MAX_KEPT_CHARS, RunEnd, afterCall, clip, runItem, type RunPlan } from './agent-run-steps.js';
import { callAsAgent, type AgentToolOutcome } from './agent-tool-call.js';

/**
 * Posts the run's final text in the session's thread through the provider's own tool (SessionDispatch.reply), as the
 * agent, so the session's publication decides. Answers the outcome, or null when the session has no reply tool.
 */
export async function replyStep(
  env: Env,
  plan: RunPlan,
  seq: number,
  text: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<AgentToolOutcome | null> {
  // Only a session run answers in the thread; an invoke answers its caller (its tools may still comment).
  if (plan.run.trigger !== 'session' || !plan.run.sessionId) return null;
  const db = createDb(env.AUTH_DB);
  const session = await findSession(db, { organizationId: plan.run.organizationId }, plan.run.sessionId);
  if (!session?.reply || !text.trim()) return null;
  const ctx = await agentToolContext(env, plan.run, plan.agent, waitUntil);
  if (!ctx) throw new RunEnd('principal_gone', 'the agent or the user its run acts for is gone or disabled');
  const { reply } = session;
  const args = { ...reply.arguments, [reply.textArgument]: text };
  const startedAt = Date.now();
  // The reply tool is usable whatever the agent's list says (answering is what a session run is for); the
  // publication check in the integrations worker still decides whether it may write there.
  const outcome = await callAsAgent(
    reply.tool,
    args,
    [{ name: reply.tool, description: 'reply', inputSchema: { type: 'object' } }],
    ctx,
    session.id,
  );
  // After the call nothing may throw: a retried step would post the reply again.
  await afterCall('reply step row', () =>
    putAgentRunStep(db, {
      runId: plan.run.id,
      seq,
      kind: 'tool_call',
      status: outcome.status,
      tool: reply.tool,
      detail: redactRecorded(
        { reply: true, arguments: args, result: clip(outcome.text, MAX_KEPT_CHARS), reason: outcome.reason },
        secretValuesOf(env),
      ) as Record<string, unknown>,
      inputTokens: null,
      outputTokens: null,
      startedAt,
      durationMs: Date.now() - startedAt,
    }),
  );
  if (outcome.status === 'ok')
    await afterCall('reply session event', () =>
      appendAgentReplyEvent(
        db,
        { organizationId: plan.run.organizationId },
        {
          runId: plan.run.id,
          sessionId: session.id,
          agentName: plan.agent.name,
          text,
          // The id the vendor gave the reply: its webhook echo (same comment id) is then no run's input.
          data: { run_id: plan.run.id, tool: reply.tool, text: clip(text, 8000), comment_id: replyIdOf(outcome.text) },
        },
      ),
    );
  return outcome;
}

/** The id of a posted reply in the reply tool's result (GitHub `id`, Linear `comment_id`), or null. */
function replyIdOf(resultText: string): string | number | null {
  try {
    const result = JSON.parse(resultText) as { id?: unknown; comment_id?: unknown };
    const id = result.comment_id ?? result.id;
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}

/** How the workflow ended a run. */
export type RunOutcome =
  | { status: 'completed'; output: string }
  | { status: 'failed'; reason: string; error: string; output?: string | null };

/**
 * Ends the run, records its run-history item, and starts the session's next run when events arrived meanwhile.
 * Answers the next run's id (null when none was queued).
 */
export async function finishStep(
  env: Env,
  plan: RunPlan,
  outcome: RunOutcome,
  counters: { steps: number; outputTokens: number },
): Promise<string | null> {
  const db = createDb(env.AUTH_DB);
  const secrets = secretValuesOf(env);
  const end =
    outcome.status === 'completed'
      ? { status: 'completed' as const, output: clip(redactCredentials(outcome.output, secrets), MAX_KEPT_CHARS) }
      : { ...outcome, error: redactCredentials(outcome.error, secrets) };
  const { ended, next } = await finishAgentRun(db, plan.run, end);
  if (ended) {
    const item = runItem(plan, {
      id: `agent-run-${plan.run.id}`,
      kind: 'agent_run',
      status: outcome.status === 'completed' ? 'ok' : 'error',
      startedAt: plan.startedAt,
      summary: redactCredentials(
        `${plan.agent.name} ${outcome.status} in ${counters.steps} steps${
          outcome.status === 'failed' ? ` (${outcome.reason})` : ''
        }`,
        secrets,
      ),
      reason: outcome.status === 'failed' ? outcome.reason : null,
      detail: redactRecorded(
        {
          run_id: plan.run.id,
          agent: plan.agent.name,
          input: clip(plan.input, 8000),
          ...(outcome.status === 'completed'
            ? { output: end.status === 'completed' ? end.output : '' }
            : { error: end }),
          steps: counters.steps,
          output_tokens: counters.outputTokens,
        },
        secrets,
      ) as Record<string, unknown>,
    });
    await recordRunHistory(db, env.RUN_HISTORY, [item]);
  }
  return next;
}
