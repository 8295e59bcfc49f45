/**
 * Agent sessions created by webhook dispatches, visible to MCP clients: list_sessions and get_session (events with
 * their source). Reads are scoped to the caller's organization.
 */
import {
  getSessionWithEvents,
  listSessions,
  runHistoryItemView,
  searchRunHistory,
} from '@gatehouse/integrations-adapters-cf';
import { traceIdForThread } from '@gatehouse/integrations-core';
import { viewerOf } from './run-history-tools.js';
import { z } from 'zod';
import { ToolError, defineCoreTool } from './tool-types.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Run-history items get_session lists (newest first). */
const TRACE_ITEMS = 50;

export const listSessionsTool = defineCoreTool({
  name: 'list_sessions',
  title: 'List agent sessions',
  description:
    'Agent sessions started by integration webhooks (an issue, pull request or thread each), most recent first. A session is closed when its thread is (issue or pull request closed, Linear issue done or canceled) and active again when the thread comes back.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({
    limit: z.number().int().min(1).max(100).default(20),
    status: z.enum(['active', 'closed']).optional().describe('Only sessions with this status (default: both)'),
  }),
  async run({ limit, status }, ctx) {
    const rows = await listSessions(ctx.db, ctx.principal, limit, status);
    return {
      sessions: rows.map((s) => ({
        id: s.id,
        provider: s.provider,
        thread: s.threadKey,
        title: s.title,
        status: s.status,
        updated_at: iso(s.updatedAt),
      })),
    };
  },
});

export const getSessionTool = defineCoreTool({
  name: 'get_session',
  title: 'Get agent session',
  description:
    'One agent session: its events in order (source, event name, actor, summary), the publication attached (where an agent acting for it may write back), and its trace: the newest run-history items of its deliveries, dispatches, events and the tool calls made with its _session (search_run_history with trace for more).',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({ session_id: z.string().min(1) }),
  async run({ session_id }, ctx) {
    const s = await getSessionWithEvents(ctx.db, ctx.principal, session_id);
    if (!s) throw new ToolError(`No session "${session_id}" in your organization. Call list_sessions for the ids.`);
    const trace = await traceIdForThread(s.installationId, s.threadKey);
    const history = await searchRunHistory(ctx.db, viewerOf(ctx), { traceId: trace }, { limit: TRACE_ITEMS });
    return {
      id: s.id,
      provider: s.provider,
      thread: s.threadKey,
      title: s.title,
      status: s.status,
      created_at: iso(s.createdAt),
      // Where an agent acting for this session may write back (pass _session to provider tools).
      publications: s.publications.map((p) => ({ granularity: p.granularity, target: p.target, scopes: p.scopes })),
      events: s.events.map((e) => ({
        source: e.source,
        event: e.eventName,
        actor: e.actor,
        summary: e.summary,
        data: e.data,
        at: iso(e.createdAt),
      })),
      trace,
      run_history: history.items.map(runHistoryItemView),
      run_history_more: history.next !== null,
    };
  },
});
