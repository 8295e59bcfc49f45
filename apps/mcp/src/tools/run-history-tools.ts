/**
 * The run history as core tools (packages/integrations-core run-history.ts): `search_run_history` (filtered
 * summaries, newest first, cursor pages) and `get_run_history_item` (one item whole within 900 KB, or the fragments
 * of it that match a search, or a slice of one field). Visibility: ADMIN and up see the organization's items; a
 * MEMBER sees their own calls and the items of sessions visible in their workspace. OAuth clients need `mcp:read`.
 */
import {
  getRunHistoryItem,
  runHistoryItemView,
  searchRunHistory,
  type RunHistoryCursor,
  type RunHistoryViewer,
} from '@gatehouse/integrations-adapters-cf';
import { linearPatternProblem } from '@gatehouse/catalog';
import { RUN_HISTORY_KINDS, RUN_HISTORY_STATUSES, fitJson, roleAtLeast } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { MAX_DETAIL_BYTES, MAX_ITEM_RESPONSE_BYTES, findFragments, sliceField } from '../history/item-view.js';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

/** Who reads, from the caller's principal. */
export function viewerOf(ctx: Pick<ToolContext, 'principal'>): RunHistoryViewer {
  const { principal } = ctx;
  return {
    organizationId: principal.organizationId,
    workspaceId: principal.workspaceId,
    userId: principal.userId,
    all: roleAtLeast(principal.role, 'ADMIN'),
    retentionDays: principal.runHistoryRetentionDays,
  };
}

/** An opaque page cursor: `<started at ms>.<id>`. */
function encodeCursor(c: RunHistoryCursor): string {
  return `${c.startedAt}.${c.id}`;
}

function decodeCursor(text: string): RunHistoryCursor {
  const m = /^(\d{1,16})\.([\w:-]{1,200})$/.exec(text);
  if (!m) throw new ToolError('Invalid cursor: pass next_cursor from the previous page unchanged.');
  return { startedAt: Number(m[1]), id: m[2]! };
}

const isoTime = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time, e.g. 2026-12-01T00:00:00Z');

export const searchRunHistoryTool = defineCoreTool({
  name: 'search_run_history',
  title: 'Search run history',
  description:
    'What the gateway did: tool calls (with the upstream requests they made), webhook deliveries (accepted, duplicate, refused and why), dispatches and session events, newest first. Filter by integration (installation id), tool, session, trace, status (ok, error, refused), kind, time range and text in the summary. A session\u2019s trace joins its deliveries, dispatches, events and every tool call made with its _session. Use get_run_history_item for one item\u2019s request and response.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({
    integration: z.string().min(1).max(200).optional().describe('Installation id (list_installed_integrations)'),
    tool: z.string().min(1).max(200).optional(),
    session: z.string().min(1).max(200).optional().describe('Agent session id (list_sessions)'),
    trace: z
      .string()
      .regex(/^[0-9a-f]{32}$/, 'a trace id is 32 lowercase hex digits')
      .optional(),
    status: z.enum(RUN_HISTORY_STATUSES).optional(),
    kind: z.enum(RUN_HISTORY_KINDS).optional(),
    since: isoTime.optional(),
    until: isoTime.optional(),
    text: z.string().min(1).max(200).optional().describe('Case-insensitive text in the summary, tool or reason'),
    limit: z.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).max(250).optional().describe('next_cursor of the previous page'),
  }),
  async run(args, ctx) {
    const { items, next } = await searchRunHistory(
      ctx.db,
      viewerOf(ctx),
      {
        installationId: args.integration,
        tool: args.tool,
        sessionId: args.session,
        traceId: args.trace,
        status: args.status,
        kind: args.kind,
        since: args.since ? Date.parse(args.since) : undefined,
        until: args.until ? Date.parse(args.until) : undefined,
        text: args.text,
      },
      { limit: args.limit, cursor: args.cursor ? decodeCursor(args.cursor) : null },
    );
    return { items: items.map(runHistoryItemView), next_cursor: next ? encodeCursor(next) : null };
  },
});

/** Longest slice of a field, characters. */
const MAX_SLICE_CHARS = 128 * 1024;

/** Most fragments one search returns. */
const MAX_FRAGMENTS = 50;

export const getRunHistoryItemTool = defineCoreTool({
  name: 'get_run_history_item',
  title: 'Get run history item',
  description: `One run-history item with its detail: arguments, each upstream request (method, URL, headers, body) and response (status, duration, size, body), and the result or error; secrets are redacted. Answers stay under ${MAX_ITEM_RESPONSE_BYTES / 1024} KB: a larger detail comes with its longest strings cut and a note. To dig into a large body, pass search (text, case-insensitive) or pattern (an RE2 regular expression) to get only the matching fragments with their field and offset, then field with offset and length to read around one.`,
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({
    id: z.string().min(1).max(200),
    search: z.string().min(1).max(500).optional(),
    pattern: z.string().min(1).max(256).optional().describe('RE2 syntax: https://github.com/google/re2/wiki/Syntax'),
    field: z.string().min(1).max(200).optional().describe('A field path from a search, e.g. exchanges[0].responseBody'),
    offset: z.number().int().min(0).default(0),
    length: z
      .number()
      .int()
      .min(1)
      // JSON may spell one character in up to 6 bytes (\u escapes): this many always fit the answer.
      .max(MAX_SLICE_CHARS)
      .default(64 * 1024)
      .describe('Characters of the field to return'),
  }),
  async run(args, ctx) {
    if (args.search && args.pattern) throw new ToolError('Pass search or pattern, not both.');
    if (args.field && (args.search || args.pattern))
      throw new ToolError('Pass field (with offset and length) or a search, not both.');
    if (args.pattern) {
      const problem = linearPatternProblem(args.pattern);
      if (problem) throw new ToolError(`pattern: ${problem}`);
    }
    const found = await getRunHistoryItem(ctx.db, ctx.history?.bucket ?? null, viewerOf(ctx), args.id);
    if (!found)
      throw new ToolError(`No run-history item "${args.id}" that you can see. Call search_run_history for the ids.`);
    const item = runHistoryItemView(found.item);
    if (found.bodyMissing)
      return { item, detail: null, note: 'The stored detail of this item is no longer available.' };
    const detail = found.detail === null ? null : (JSON.parse(found.detail) as unknown);
    if (args.search || args.pattern) {
      const matches = findFragments(detail, { text: args.search, pattern: args.pattern }, MAX_FRAGMENTS);
      return {
        item,
        matches,
        note:
          matches.length === MAX_FRAGMENTS
            ? `The first ${MAX_FRAGMENTS} matches; narrow the search for the rest.`
            : `${matches.length} match(es).`,
      };
    }
    if (args.field) {
      const slice = sliceField(detail, args.field, args.offset, args.length);
      if (!slice) throw new ToolError(`No field "${args.field}" in this item; search first for the field names.`);
      return {
        item,
        field: args.field,
        offset: args.offset,
        text: slice.text,
        total_length: slice.totalLength,
        more: args.offset + slice.text.length < slice.totalLength,
      };
    }
    if (found.item.bodyBytes <= MAX_DETAIL_BYTES) return { item, detail };
    return {
      item,
      detail: fitJson(detail, MAX_DETAIL_BYTES),
      note: `The detail is ${found.item.bodyBytes} bytes; its longest strings were cut to stay under ${MAX_ITEM_RESPONSE_BYTES / 1024} KB. Pass search or pattern to find text in the whole of it, then field, offset and length to read it.`,
    };
  },
});
