/**
 * `gatehouse history search|export`: the run history of one organization in the local database, as an ADMIN sees it
 * (search_run_history and get_run_history_item over MCP). `search` prints one line per item, newest first; `export`
 * prints JSON lines (https://jsonlines.org), one item with its detail document per line, for jq or a file.
 */
import { usageError } from '../cli-error.mts';
import { optionalString, requireSlug, type OptionValues } from '../cli-input.mts';
import type { LocalR2 } from '../local-db.mts';
import { table, type CommandResult } from '../output.mts';
import {
  findOrganization,
  getRunHistoryItem,
  runHistoryItemView,
  searchRunHistory,
  type Db,
  type RunHistoryFilter,
  type RunHistorySummary,
  type RunHistoryViewer,
} from '../workspace-packages.mts';
import { CliError } from '../cli-error.mts';

const STATUSES = ['ok', 'error', 'refused'] as const;
const KINDS = ['tool_call', 'webhook_delivery', 'dispatch', 'session_event', 'agent_run', 'agent_step'] as const;

/** The options both commands take. */
export const HISTORY_OPTIONS = {
  org: { type: 'string' },
  status: { type: 'string' },
  kind: { type: 'string' },
  tool: { type: 'string' },
  integration: { type: 'string' },
  session: { type: 'string' },
  trace: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  text: { type: 'string' },
  limit: { type: 'string' },
} as const;

export const HISTORY_ARGS =
  '--org S [--status ok|error|refused] [--kind K] [--tool T] [--integration ID] [--session ID] [--trace T] [--since ISO] [--until ISO] [--text Q] [--limit N]';

function oneOf<T extends string>(values: OptionValues, name: string, allowed: readonly T[]): T | undefined {
  const v = optionalString(values, name);
  if (v === undefined) return undefined;
  const found = allowed.find((a) => a === v);
  if (!found) throw usageError(`--${name} "${v}" is not one of ${allowed.join(', ')}`);
  return found;
}

function time(values: OptionValues, name: string): number | undefined {
  const v = optionalString(values, name);
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw usageError(`--${name} "${v}" is not an ISO 8601 date or time (e.g. 2026-12-01T00:00Z)`);
  return ms;
}

/** Validated input of `history search|export`; `defaultLimit` items unless --limit says otherwise. */
export function parseHistory(values: OptionValues, defaultLimit: number) {
  const limitText = optionalString(values, 'limit');
  const limit = limitText === undefined ? defaultLimit : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw usageError(`--limit "${limitText}" must be a whole number from 1 to 100000`);
  const filter: RunHistoryFilter = {
    status: oneOf(values, 'status', STATUSES),
    kind: oneOf(values, 'kind', KINDS),
    tool: optionalString(values, 'tool'),
    installationId: optionalString(values, 'integration'),
    sessionId: optionalString(values, 'session'),
    traceId: optionalString(values, 'trace'),
    since: time(values, 'since'),
    until: time(values, 'until'),
    text: optionalString(values, 'text'),
  };
  return { org: requireSlug(values, 'org'), filter, limit };
}

/** The organization's whole history, as an ADMIN sees it: the CLI runs with the database owner's rights. */
async function viewerFor(db: Db, slug: string): Promise<RunHistoryViewer> {
  const org = await findOrganization(db, slug);
  if (!org) throw new CliError(`no organization "${slug}"; see \`pnpm gatehouse org list\``);
  return { organizationId: org.id, all: true, userId: '', workspaceId: '', retentionDays: org.runHistoryRetentionDays };
}

/** Every matching item visible to `viewer`, newest first, at most `limit`, read a page at a time. */
async function* items(
  db: Db,
  viewer: RunHistoryViewer,
  input: ReturnType<typeof parseHistory>,
): AsyncGenerator<RunHistorySummary> {
  let cursor = null;
  let left = input.limit;
  while (left > 0) {
    const page = await searchRunHistory(db, viewer, input.filter, { limit: Math.min(left, 500), cursor });
    for (const item of page.items) yield item;
    left -= page.items.length;
    if (!page.next) return;
    cursor = page.next;
  }
}

/** `history search`: one line per item (or a JSON array with --json). */
export async function historySearch(db: Db, input: ReturnType<typeof parseHistory>): Promise<CommandResult> {
  const rows = [];
  for await (const item of items(db, await viewerFor(db, input.org), input)) rows.push(runHistoryItemView(item));
  return {
    json: rows,
    text: table(
      rows.map((r) => ({
        at: r.at,
        kind: r.kind,
        status: r.status,
        reason: r.reason,
        summary: r.summary.length > 100 ? `${r.summary.slice(0, 99)}…` : r.summary,
        id: r.id,
      })),
      ['at', 'kind', 'status', 'reason', 'summary', 'id'],
    ),
  };
}

/** `history export`: JSON lines, one item with its detail document per line (R2 bodies read from the local bucket). */
export async function historyExport(
  db: Db,
  bucket: LocalR2,
  input: ReturnType<typeof parseHistory>,
): Promise<CommandResult> {
  const lines: string[] = [];
  const viewer = await viewerFor(db, input.org);
  for await (const item of items(db, viewer, input)) {
    const found = await getRunHistoryItem(db, bucket, viewer, item.id);
    const detail = found?.detail ? (JSON.parse(found.detail) as unknown) : null;
    lines.push(JSON.stringify({ ...runHistoryItemView(item), detail, detail_missing: found?.bodyMissing ?? false }));
  }
  return { json: lines.map((l) => JSON.parse(l) as unknown), text: lines.join('\n') };
}
