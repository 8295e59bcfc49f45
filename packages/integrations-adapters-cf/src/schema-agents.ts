/** The agent tables of the AUTH_DB schema (schema.ts re-exports them; docs/d1-schema.md). */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { organizations, sessions, workspaces } from './schema.js';

const createdAt = () => integer('created_at').notNull();

/**
 * Agents (docs/d1-schema.md): a model with instructions, a tool list and limits, acting as a principal of its
 * workspace (the one it was created in, where its runs act) with `role`. Scope `local` (seen in that workspace) or
 * `global` (seen in every workspace of the organization). `handles` names the installations (`installation:<id>`) or providers (`provider:<id>`) whose
 * webhook-fed sessions it works.
 */
export const agents = sqliteTable(
  'agents',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    scope: text('scope', { enum: ['local', 'global'] }).notNull(),
    /** Unique in the organization; what `invoke_agent` names. */
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    /** The system prompt. */
    instructions: text('instructions').notNull(),
    /** `{ provider, model, base_url? }` (AgentModel). */
    model: text('model', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    /** Compact JWE of `{ api_key }` (credentials-cipher), or null for the worker's default key. Never returned. */
    apiKey: text('api_key'),
    /** Tool names it may call; null = the read-only tools its role may use. */
    tools: text('tools', { mode: 'json' }).$type<string[] | null>(),
    role: text('role', { enum: ['SUPERADMIN', 'ADMIN', 'MEMBER'] })
      .notNull()
      .default('MEMBER'),
    maxSteps: integer('max_steps').notNull().default(20),
    maxOutputTokens: integer('max_output_tokens'),
    /** Wall-clock limit of one run, milliseconds. */
    timeoutMs: integer('timeout_ms').notNull().default(300_000),
    /** JSON array of `installation:<id>` / `provider:<id>`. */
    handles: text('handles', { mode: 'json' }).$type<string[]>().notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('agents_org_name').on(t.organizationId, t.name)],
);

/**
 * One run of an agent (docs/d1-schema.md): from `invoke_agent` or from a session it handles. A session has at most
 * one queued or running session run per agent (partial unique index); `events_through` is the rowid of the last session
 * event a run took as input, so the next run starts after it and no event is dropped or taken twice.
 */
export const agentRuns = sqliteTable(
  'agent_runs',
  {
    id: text('id').primaryKey(),
    organizationId: text('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    /** The workspace the run acts in (the caller's, or the agent's own for a session run). */
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    agentId: text('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    sessionId: text('session_id').references(() => sessions.id, { onDelete: 'cascade' }),
    trigger: text('trigger', { enum: ['invoke', 'session'] }).notNull(),
    status: text('status', { enum: ['queued', 'running', 'completed', 'failed'] }).notNull(),
    /** Who the run acts for: the caller of invoke_agent, or the agent's creator for a session run. */
    userId: text('user_id').notNull(),
    /** The role and OAuth scopes the run's tool calls get: never more than the caller's. */
    role: text('role', { enum: ['SUPERADMIN', 'ADMIN', 'MEMBER'] }).notNull(),
    scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
    input: text('input').notNull(),
    eventsThrough: integer('events_through'),
    output: text('output'),
    /** Machine-readable end of a failed run: `max_steps`, `max_output_tokens`, `timeout`, `model_error`… */
    reason: text('reason'),
    error: text('error'),
    steps: integer('steps').notNull().default(0),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    traceId: text('trace_id').notNull(),
    createdAt: createdAt(),
    startedAt: integer('started_at'),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    index('agent_runs_org_created').on(t.organizationId, t.createdAt),
    index('agent_runs_session').on(t.sessionId, t.createdAt),
    uniqueIndex('agent_runs_one_active')
      .on(t.agentId, t.sessionId)
      .where(sql`${t.trigger} = 'session' and ${t.status} in ('queued', 'running')`),
  ],
);

/**
 * The steps of a run, in order: each model call (tokens, finish reason, text, tool calls) and each tool call
 * (arguments and result, redacted). Keyed by (run, seq) and written with upsert, so a retried workflow step
 * rewrites its own row.
 */
export const agentRunSteps = sqliteTable(
  'agent_run_steps',
  {
    runId: text('run_id')
      .notNull()
      .references(() => agentRuns.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    kind: text('kind', { enum: ['model_call', 'tool_call'] }).notNull(),
    status: text('status', { enum: ['ok', 'error', 'refused'] }).notNull(),
    tool: text('tool'),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    startedAt: integer('started_at').notNull(),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] })],
);
