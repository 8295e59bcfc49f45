/**
 * Starting agent runs: a workflow instance per run (its id is the run id, so starting twice starts one), session
 * runs for the agents that handle a dispatch's installation, and the cron's sweep of runs whose instance was never
 * created (the worker stopped between the run's row and its instance) or ended without ending the run.
 */
import {
  createDb,
  finishAgentRun,
  isAgentEcho,
  queueSessionRun,
  runsToSweep,
  type AgentRecord,
  type InstallationRecord,
} from '@gatehouse/integrations-adapters-cf';
import { MCP_SCOPES, traceIdForThread } from '@gatehouse/integrations-core';
import type { AgentRunParams } from './agent-run-params.js';

/** Queued runs older than this (ms) with no instance are started again by the cron. */
const STALE_QUEUED_MS = 60_000;

/** Creates the run's workflow instance; one that exists already is left as it is. */
export async function startRunWorkflow(
  workflow: Workflow<AgentRunParams>,
  organizationId: string,
  runId: string,
): Promise<void> {
  try {
    await workflow.create({ id: runId, params: { organizationId, runId } });
  } catch (err) {
    // An instance with this id exists (a second start): nothing to do. Anything else is the caller's failure.
    const existing = await workflow.get(runId).catch(() => null);
    if (!existing) throw err;
  }
}

/**
 * After a dispatch appended an event: a run for each of `agents` (the enabled agents that handle the installation,
 * read with the dispatch's receipt: agentsHandlingQuery), unless the agent already has one queued or running on the
 * session (that run's successor takes the event). A session run acts in the agent's workspace with the agent's role,
 * for the agent's creator, with every scope (the role bounds it).
 */
export async function startSessionRuns(
  env: Env,
  installation: InstallationRecord,
  agents: readonly AgentRecord[],
  session: { id: string; threadKey: string; closed: boolean; commentId: unknown },
): Promise<void> {
  if (session.closed || agents.length === 0) return;
  const db = createDb(env.AUTH_DB);
  const tenant = { organizationId: installation.organizationId };
  // The vendor's echo of an agent's own reply starts nothing (the reply would answer itself without end).
  if (await isAgentEcho(db, tenant, session.id, session.commentId)) return;
  const traceId = await traceIdForThread(installation.id, session.threadKey);
  for (const agent of agents) {
    const runId = await queueSessionRun(db, tenant, {
      workspaceId: agent.workspaceId,
      agentId: agent.id,
      sessionId: session.id,
      userId: agent.createdBy,
      role: agent.role,
      scopes: [...MCP_SCOPES],
      traceId,
    });
    if (runId) await startRunWorkflow(env.AGENT_RUNS, installation.organizationId, runId);
  }
}

/** Workflow instance states after which it will never end its run's row. */
const ENDED: ReadonlySet<string> = new Set(['errored', 'terminated', 'complete']);

/**
 * The cron's sweep (bounded batch): starts queued runs whose instance was never created, and ends `failed`
 * (`workflow_ended`) a queued or running run whose instance ended without ending it (an error outside any step, a
 * `start` step out of retries, a termination), so its session's slot frees up. Reading an instance's status also wakes its engine after a restart of a local stack.
 * Answers how many runs were started and ended.
 */
export async function sweepRuns(env: Env): Promise<{ started: number; ended: number }> {
  const db = createDb(env.AUTH_DB);
  const runs = await runsToSweep(db, Date.now() - STALE_QUEUED_MS);
  let started = 0;
  let ended = 0;
  for (const run of runs) {
    try {
      const instance = await env.AGENT_RUNS.get(run.id).catch(() => null);
      const status = instance ? await instance.status() : null;
      if (!status) {
        // No instance: the worker stopped between the row and the instance (only queued rows can be here).
        if (run.status === 'queued') {
          await startRunWorkflow(env.AGENT_RUNS, run.organizationId, run.id);
          started++;
        }
        continue;
      }
      if (!ENDED.has(status.status)) continue;
      const { next } = await finishAgentRun(db, run, {
        status: 'failed',
        reason: 'workflow_ended',
        error: `the run's workflow instance ended (${status.status}) before the run did`,
      });
      ended++;
      if (next) await startRunWorkflow(env.AGENT_RUNS, run.organizationId, next);
    } catch (err) {
      // One run's trouble never stops the sweep of the others.
      console.error(
        JSON.stringify({
          msg: 'agent run sweep failed',
          run: run.id,
          error: err instanceof Error ? err.name : 'unknown',
        }),
      );
    }
  }
  return { started, ended };
}
