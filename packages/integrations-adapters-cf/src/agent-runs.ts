/**
 * Agent runs and their steps (schema.ts `agent_runs`, `agent_run_steps`). A session run takes as input the session's
 * events after the previous run's `events_through` (event rowids), and a session has at most one queued or running
 * run per agent (`agent_runs_one_active`). Together they give "never dropped, never run twice": an event appended
 * while a run is active finds the queue slot taken, and the finishing run, in the same batch that ends it, queues the
 * next run when events past its own `events_through` exist.
 */
import { and, asc, desc, eq, gt, inArray, isNotNull, lt, or, sql, type SQLWrapper } from 'drizzle-orm';
import type { OrgTenant, WorkspaceTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { agentRunSteps, agentRuns, sessionEvents, sessions } from './schema.js';

export type AgentRunRecord = typeof agentRuns.$inferSelect;

/** `session_events.source` of an agent's own replies: never a run's input (a run must not answer itself). */
export const AGENT_EVENT_SOURCE = 'agent';

/**
 * A session event that is a run's input: not an agent's reply, and not the vendor's webhook echo of one (an event
 * whose `data.comment_id` is the `comment_id` an agent's reply recorded: GitHub and Linear send the app's own
 * comment back when it mentions the app).
 */
function isRunInput(sessionId: SQLWrapper | string) {
  const echo = sql`json_extract(${sessionEvents.data}, '$.comment_id')`;
  return sql`(${sessionEvents.source} != ${AGENT_EVENT_SOURCE} and (${echo} is null or ${echo} not in (
    select json_extract(mine.data, '$.comment_id') from ${sessionEvents} as mine
    where mine.session_id = ${sessionId} and mine.source = ${AGENT_EVENT_SOURCE}
      and json_extract(mine.data, '$.comment_id') is not null)))`;
}

/** Whether the session's newest event is a webhook echo of an agent's own reply (it starts no run). */
export async function isAgentEcho(db: Db, tenant: OrgTenant, sessionId: string, commentId: unknown): Promise<boolean> {
  if (typeof commentId !== 'string' && typeof commentId !== 'number') return false;
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(sessionEvents)
    .where(
      and(
        eq(sessionEvents.organizationId, tenant.organizationId),
        eq(sessionEvents.sessionId, sessionId),
        eq(sessionEvents.source, AGENT_EVENT_SOURCE),
        sql`json_extract(${sessionEvents.data}, '$.comment_id') = ${commentId}`,
      ),
    )
    .get();
  return (row?.n ?? 0) > 0;
}
export type AgentRunStepRecord = typeof agentRunSteps.$inferSelect;

/** What a new run needs; status, counters and timestamps are filled in. */
export type NewAgentRun = Pick<
  AgentRunRecord,
  'workspaceId' | 'agentId' | 'sessionId' | 'trigger' | 'userId' | 'role' | 'scopes' | 'input' | 'traceId'
>;

/** Inserts an `invoke` run (queued); its id names the workflow instance. */
export async function createAgentRun(db: Db, tenant: OrgTenant, run: NewAgentRun): Promise<AgentRunRecord> {
  const row: AgentRunRecord = {
    ...run,
    id: newId(),
    organizationId: tenant.organizationId,
    status: 'queued',
    eventsThrough: null,
    output: null,
    reason: null,
    error: null,
    steps: 0,
    inputTokens: 0,
    outputTokens: 0,
    createdAt: Date.now(),
    startedAt: null,
    finishedAt: null,
  };
  await db.insert(agentRuns).values(row);
  return row;
}

/**
 * Queues a session run unless the agent already has a queued or running run on that session (then the active run
 * picks the new events up when it ends). Answers the new run's id, or null when the slot was taken.
 */
export async function queueSessionRun(
  db: Db,
  tenant: OrgTenant,
  run: Omit<NewAgentRun, 'trigger' | 'input'> & { sessionId: string },
): Promise<string | null> {
  const id = newId();
  const rows = await db
    .insert(agentRuns)
    .values({
      ...run,
      id,
      organizationId: tenant.organizationId,
      trigger: 'session',
      status: 'queued',
      input: '',
      createdAt: Date.now(),
    })
    .onConflictDoNothing()
    .returning({ id: agentRuns.id });
  return rows.length ? id : null;
}

/** A session event as a run takes it: its rowid orders it. */
export interface RunInputEvent {
  seq: number;
  source: string;
  eventName: string;
  actor: string | null;
  summary: string;
  data: Record<string, unknown>;
  createdAt: number;
}

/**
 * Starts a queued run: marks it running and, for a session run, fixes its input: the session's events after the
 * previous run's `events_through`, oldest first (at most `limit`; later ones wait for the next run). Idempotent for
 * a workflow step that is retried: a running run answers the events it fixed before. Null when the run is not
 * queued or running (it ended, or was deleted with its agent).
 */
export async function startAgentRun(
  db: Db,
  tenant: OrgTenant,
  runId: string,
  limit = 50,
): Promise<{ run: AgentRunRecord; events: RunInputEvent[] } | null> {
  const run = await db
    .select()
    .from(agentRuns)
    .where(and(eq(agentRuns.organizationId, tenant.organizationId), eq(agentRuns.id, runId)))
    .get();
  if (!run || (run.status !== 'queued' && run.status !== 'running')) return null;
  // An invoke run (with or without `_session`) takes its own input, no event window.
  if (run.trigger !== 'session' || !run.sessionId) {
    if (run.status === 'queued')
      await db.update(agentRuns).set({ status: 'running', startedAt: Date.now() }).where(eq(agentRuns.id, runId));
    return { run: { ...run, status: 'running' }, events: [] };
  }
  const rowid = sql<number>`${sessionEvents}.rowid`;
  const after = (await previousMark(db, run)) ?? 0;
  // Already started (a retried workflow step): answer the same window, up to the mark it fixed.
  const upTo = run.status === 'running' ? run.eventsThrough : null;
  const events = await db
    .select({
      seq: rowid,
      source: sessionEvents.source,
      eventName: sessionEvents.eventName,
      actor: sessionEvents.actor,
      summary: sessionEvents.summary,
      data: sessionEvents.data,
      createdAt: sessionEvents.createdAt,
    })
    .from(sessionEvents)
    .where(
      and(
        eq(sessionEvents.organizationId, tenant.organizationId),
        eq(sessionEvents.sessionId, run.sessionId),
        gt(rowid, after),
        isRunInput(run.sessionId),
        upTo === null ? undefined : sql`${rowid} <= ${upTo}`,
      ),
    )
    .orderBy(asc(rowid))
    .limit(limit)
    .all();
  const mark = events.at(-1)?.seq ?? after;
  if (run.status === 'queued')
    await db
      .update(agentRuns)
      .set({ status: 'running', startedAt: Date.now(), eventsThrough: mark })
      .where(eq(agentRuns.id, runId));
  return { run: { ...run, status: 'running', eventsThrough: mark }, events };
}

/** `events_through` of the agent's latest earlier run on the session (the events it already took). */
async function previousMark(db: Db, run: AgentRunRecord): Promise<number | null> {
  const prev = await db
    .select({ mark: agentRuns.eventsThrough })
    .from(agentRuns)
    .where(
      and(
        eq(agentRuns.agentId, run.agentId),
        eq(agentRuns.sessionId, run.sessionId!),
        eq(agentRuns.trigger, 'session'),
        inArray(agentRuns.status, ['completed', 'failed']),
        isNotNull(agentRuns.eventsThrough),
        or(
          lt(agentRuns.createdAt, run.createdAt),
          and(eq(agentRuns.createdAt, run.createdAt), lt(agentRuns.id, run.id)),
        ),
      ),
    )
    .orderBy(desc(agentRuns.createdAt))
    .limit(1)
    .get();
  return prev?.mark ?? null;
}

/** Writes one step (upsert on (run, seq): a retried workflow step rewrites its row) and the run's counters. */
export async function putAgentRunStep(db: Db, step: AgentRunStepRecord): Promise<void> {
  const ofRun = eq(agentRunSteps.runId, step.runId);
  await db.batch([
    db
      .insert(agentRunSteps)
      .values(step)
      .onConflictDoUpdate({
        target: [agentRunSteps.runId, agentRunSteps.seq],
        set: {
          status: step.status,
          detail: step.detail,
          inputTokens: step.inputTokens,
          outputTokens: step.outputTokens,
          durationMs: step.durationMs,
        },
      }),
    db
      .update(agentRuns)
      .set({
        steps: sql`(select count(*) from ${agentRunSteps} where ${ofRun})`,
        inputTokens: sql`(select coalesce(sum(${agentRunSteps.inputTokens}), 0) from ${agentRunSteps} where ${ofRun})`,
        outputTokens: sql`(select coalesce(sum(${agentRunSteps.outputTokens}), 0)
          from ${agentRunSteps} where ${ofRun})`,
      })
      .where(eq(agentRuns.id, step.runId)),
  ]);
}

/** How a run ended. */
export type AgentRunEnd =
  | { status: 'completed'; output: string }
  | { status: 'failed'; reason: string; error: string; output?: string | null };

/**
 * Ends a run (only a queued or running one: a second end changes nothing) and, for a session run, in the same batch
 * queues the agent's next run on the session when events past this run's `events_through` exist and the session is
 * still active. Answers whether this call ended the run and the next run's id, if one was queued.
 */
export async function finishAgentRun(
  db: Db,
  run: Pick<
    AgentRunRecord,
    | 'id'
    | 'organizationId'
    | 'workspaceId'
    | 'agentId'
    | 'sessionId'
    | 'trigger'
    | 'userId'
    | 'role'
    | 'scopes'
    | 'traceId'
  >,
  end: AgentRunEnd,
): Promise<{ ended: boolean; next: string | null }> {
  const now = Date.now();
  const finish = db
    .update(agentRuns)
    .set({
      status: end.status,
      output: end.status === 'completed' ? end.output : (end.output ?? null),
      reason: end.status === 'failed' ? end.reason : null,
      error: end.status === 'failed' ? end.error : null,
      finishedAt: now,
    })
    .where(and(eq(agentRuns.id, run.id), inArray(agentRuns.status, ['queued', 'running'])))
    .returning({ id: agentRuns.id });
  // Only a session run has successors (an invoke with `_session` is the caller's, once).
  if (run.trigger !== 'session' || !run.sessionId) {
    const [ended] = await db.batch([finish]);
    return { ended: ended.length > 0, next: null };
  }
  const nextId = newId();
  const rowid = sql`${sessionEvents}.rowid`;
  // INSERT … SELECT from the session: a row only when it is still active and has events (not the agent's own)
  // past this run's mark; the partial unique index drops it if another run got the slot first.
  const queueNext = db
    .insert(agentRuns)
    .select(
      db
        .select({
          id: sql<string>`${nextId}`.as('id'),
          organizationId: sessions.organizationId,
          workspaceId: sql<string>`${run.workspaceId}`.as('workspace_id'),
          agentId: sql<string>`${run.agentId}`.as('agent_id'),
          sessionId: sessions.id,
          trigger: sql<'session'>`'session'`.as('trigger'),
          status: sql<'queued'>`'queued'`.as('status'),
          userId: sql<string>`${run.userId}`.as('user_id'),
          role: sql<AgentRunRecord['role']>`${run.role}`.as('role'),
          scopes: sql<string>`${JSON.stringify(run.scopes)}`.as('scopes'),
          input: sql<string>`''`.as('input'),
          eventsThrough: sql<number | null>`null`.as('events_through'),
          output: sql<string | null>`null`.as('output'),
          reason: sql<string | null>`null`.as('reason'),
          error: sql<string | null>`null`.as('error'),
          steps: sql<number>`0`.as('steps'),
          inputTokens: sql<number>`0`.as('input_tokens'),
          outputTokens: sql<number>`0`.as('output_tokens'),
          traceId: sql<string>`${run.traceId}`.as('trace_id'),
          createdAt: sql<number>`${now}`.as('created_at'),
          startedAt: sql<number | null>`null`.as('started_at'),
          finishedAt: sql<number | null>`null`.as('finished_at'),
        })
        .from(sessions)
        .where(
          and(
            eq(sessions.id, run.sessionId),
            eq(sessions.status, 'active'),
            sql`exists (select 1 from ${sessionEvents} where ${sessionEvents.sessionId} = ${run.sessionId}
              and ${isRunInput(run.sessionId)}
              and ${rowid} > coalesce((select ${agentRuns.eventsThrough} from ${agentRuns}
                where ${agentRuns.id} = ${run.id}), 0))`,
          ),
        ),
    )
    .onConflictDoNothing();
  const [ended, , queued] = await db.batch([
    finish,
    queueNext,
    db.select({ id: agentRuns.id }).from(agentRuns).where(eq(agentRuns.id, nextId)),
  ]);
  return { ended: ended.length > 0, next: queued.length ? nextId : null };
}

/**
 * Runs the cron looks after, oldest first: queued ones created before `queuedBefore` (ms; their workflow instance may
 * never have been created) and every running one (its instance may have ended without ending the row).
 */
export async function runsToSweep(db: Db, queuedBefore: number, limit = 50): Promise<AgentRunRecord[]> {
  return db
    .select()
    .from(agentRuns)
    .where(
      or(and(eq(agentRuns.status, 'queued'), lt(agentRuns.createdAt, queuedBefore)), eq(agentRuns.status, 'running')),
    )
    .orderBy(asc(agentRuns.createdAt))
    .limit(limit)
    .all();
}

/** A run of the organization with its steps in order, or null. */
export async function getAgentRun(
  db: Db,
  tenant: OrgTenant,
  runId: string,
): Promise<(AgentRunRecord & { stepList: AgentRunStepRecord[] }) | null> {
  const run = await db
    .select()
    .from(agentRuns)
    .where(and(eq(agentRuns.organizationId, tenant.organizationId), eq(agentRuns.id, runId)))
    .get();
  if (!run) return null;
  const stepList = await db
    .select()
    .from(agentRunSteps)
    .where(eq(agentRunSteps.runId, runId))
    .orderBy(asc(agentRunSteps.seq))
    .all();
  return { ...run, stepList };
}

/** Runs of the workspace, newest first (those of one agent or session when given). */
export async function listAgentRuns(
  db: Db,
  tenant: WorkspaceTenant,
  filter: { agentId?: string; sessionId?: string; limit?: number },
): Promise<AgentRunRecord[]> {
  return db
    .select()
    .from(agentRuns)
    .where(
      and(
        eq(agentRuns.organizationId, tenant.organizationId),
        eq(agentRuns.workspaceId, tenant.workspaceId),
        filter.agentId ? eq(agentRuns.agentId, filter.agentId) : undefined,
        filter.sessionId ? eq(agentRuns.sessionId, filter.sessionId) : undefined,
      ),
    )
    .orderBy(desc(agentRuns.createdAt))
    .limit(filter.limit ?? 20)
    .all();
}

/**
 * Records an agent's reply in its session as an event (source `agent`), once per run (`agent-reply:<run id>` is its
 * dispatch id, so a retried step adds nothing).
 */
export async function appendAgentReplyEvent(
  db: Db,
  tenant: OrgTenant,
  reply: { runId: string; sessionId: string; agentName: string; text: string; data: Record<string, unknown> },
): Promise<void> {
  await db
    .insert(sessionEvents)
    .values({
      id: newId(),
      organizationId: tenant.organizationId,
      sessionId: reply.sessionId,
      dispatchId: `agent-reply:${reply.runId}`,
      source: AGENT_EVENT_SOURCE,
      eventName: 'agent.reply',
      actor: reply.agentName,
      summary: `${reply.agentName} replied: ${reply.text.slice(0, 500)}`,
      data: reply.data,
      createdAt: Date.now(),
    })
    .onConflictDoNothing({ target: sessionEvents.dispatchId });
}
