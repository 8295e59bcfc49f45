/**
 * The run-history item of one tool call (packages/integrations-core run-history.ts): started when the call starts,
 * filled in by the call path (ToolCallTrace: installation, `_session`, upstream exchanges, the secrets it held),
 * built after the answer in `waitUntil` and written behind (write-behind.ts: one D1 batch for the calls of a short
 * window), so recording never delays or fails the call; a failed write is logged, not surfaced.
 *
 * Redaction before anything is written: the worker's keys, the installation's credentials as the call path held
 * them (a provider tool's parts come redacted by the integrations worker, which holds its installation's), the
 * values of secret-named arguments, secret-named fields and headers, credential-shaped strings (redactRecorded).
 */
import { findSession, type Db, type Principal } from '@gatehouse/integrations-adapters-cf';
import {
  isSecretName,
  newTraceId,
  redactCredentials,
  redactRecorded,
  recordingFetch,
  traceIdForThread,
  type RunHistoryActor,
  type RunHistoryItemInput,
  type RunHistoryStatus,
  type UpstreamExchange,
} from '@gatehouse/integrations-core';
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { ToolFailure } from '../mcp/tool-result.js';
import type { ToolCallTrace, ToolContext } from '../tools/tool-types.js';
import { recordLater } from './write-behind.js';

/** Where a worker's run-history items go, and what they must never contain. */
export interface HistorySink {
  db: Db;
  /** The RUN_HISTORY bucket (large detail documents), or null when the worker has none bound. */
  bucket: R2Bucket | null;
  waitUntil(promise: Promise<unknown>): void;
  /** The worker's own secret values (signing and credentials keys). */
  knownSecrets(): readonly string[];
}

/**
 * The actor of a principal's calls: OAuth grants carry `oauth:<client id>` as their token id, agent runs
 * `agent:<agent id>` (agents/agent-context.ts).
 */
export function actorOf(principal: Principal): { actorType: RunHistoryActor; actorId: string } {
  if (principal.tokenId.startsWith('oauth:'))
    return { actorType: 'oauth_client', actorId: principal.tokenId.slice('oauth:'.length) };
  if (principal.tokenId.startsWith('agent:'))
    return { actorType: 'agent', actorId: principal.tokenId.slice('agent:'.length) };
  return { actorType: 'api_token', actorId: principal.tokenId };
}

/** A trace for one call, before the call path fills it in. */
export function emptyTrace(): ToolCallTrace {
  return { installation: null, sessionId: null, secrets: [], redacted: null, exchanges: [], settled: [] };
}

/** Every string under a secret-named key of the arguments, at any depth (`credentials: {api_token: …}`). */
export function secretArgumentValues(value: unknown, underSecret = false): string[] {
  if (typeof value === 'string') return underSecret ? [value] : [];
  if (Array.isArray(value)) return value.flatMap((v) => secretArgumentValues(v, underSecret));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => secretArgumentValues(v, underSecret || isSecretName(k)));
  return [];
}

/** A tool call being recorded: the context to run it with, and what to call when it failed and when it ended. */
export interface ToolCallRecording<C> {
  /** The context to run the call with: its fetch records each exchange, its `trace` collects the rest. */
  ctx: C & { trace: ToolCallTrace };
  fail(failure: ToolFailure): void;
  /**
   * Schedules the item's write; `result` is the answer, or null when the call ended in a JSON-RPC or HTTP error
   * (`rpcError`, `refused` for a policy refusal such as a missing scope).
   */
  finish(result: CallToolResult | null, rpcError?: { reason: string; message: string; refused?: boolean }): void;
}

/**
 * Tools whose calls are not recorded: reading the history. Recording them would copy up to 900 KB of history into
 * history on every read, and bury what happened under who looked.
 */
const NOT_RECORDED: ReadonlySet<string> = new Set(['search_run_history', 'get_run_history_item']);

/**
 * Starts recording a call of `name`; null when the caller's organization records no history, or for the history's
 * own tools (NOT_RECORDED).
 */
export function startToolCallRecording<C extends Pick<ToolContext, 'principal' | 'fetch'> & { traceId?: string }>(
  ctx: C,
  sink: HistorySink | null,
  name: string,
  args: Record<string, unknown>,
): ToolCallRecording<C> | null {
  if (!sink || ctx.principal.runHistoryRetentionDays <= 0 || NOT_RECORDED.has(name)) return null;
  const startedAt = Date.now();
  // A caller that keeps its own trace (an agent run redacts its step with the secrets the call held) shares it.
  const trace: ToolCallTrace = (ctx as { trace?: ToolCallTrace }).trace ?? emptyTrace();
  const recorder = recordingFetch(ctx.fetch, trace.exchanges);
  trace.settled.push(recorder.settled);
  let failure: ToolFailure | null = null;
  return {
    ctx: { ...ctx, fetch: recorder.fetch, trace },
    fail(f) {
      failure = f;
    },
    finish(result, rpcError) {
      const durationMs = Date.now() - startedAt;
      const status: RunHistoryStatus = rpcError
        ? rpcError.refused
          ? 'refused'
          : 'error'
        : failure
          ? failure.refused
            ? 'refused'
            : 'error'
          : result?.isError
            ? 'error'
            : 'ok';
      const reason = rpcError?.reason ?? failure?.reason ?? (status === 'ok' ? null : 'tool_error');
      const text = rpcError?.message ?? resultText(result);
      sink.waitUntil(
        writeToolCall(ctx.principal, sink, {
          name,
          args,
          trace,
          startedAt,
          durationMs,
          status,
          reason,
          text,
          traceId: ctx.traceId ?? null,
        }).catch((err: unknown) =>
          console.error(
            JSON.stringify({
              msg: 'run history write failed',
              kind: 'tool_call',
              tool: name,
              error: err instanceof Error ? err.name : 'unknown',
            }),
          ),
        ),
      );
    },
  };
}

function resultText(result: CallToolResult | null): string {
  const first = result?.content?.[0];
  return first && first.type === 'text' ? first.text : '';
}

interface FinishedCall {
  name: string;
  args: Record<string, unknown>;
  trace: ToolCallTrace;
  startedAt: number;
  durationMs: number;
  status: RunHistoryStatus;
  reason: string | null;
  /** The result's text (JSON of the value), or the error message. */
  text: string;
  /** The trace to join when the call acted for no session (an agent run's), else null for a new one. */
  traceId: string | null;
}

/** `METHOD host/path → status (ms)`: an exchange in one line (the query string left out: it may carry secrets). */
function exchangeLine(e: UpstreamExchange): string {
  let where = e.url;
  try {
    const u = new URL(e.url);
    where = `${u.host}${u.pathname}`;
  } catch {
    /* not a URL: keep it as given */
  }
  return `${e.method} ${where} → ${e.status ?? e.error ?? 'no answer'} (${e.durationMs} ms)`;
}

async function writeToolCall(principal: Principal, sink: HistorySink, call: FinishedCall): Promise<void> {
  await Promise.all(call.trace.settled.map((settle) => settle()));
  const { installation } = call.trace;
  const secrets = [...sink.knownSecrets(), ...call.trace.secrets];
  // Values the caller handed over as secrets (install_integration's credentials, a secret-named argument): the
  // credential check they went through made exchanges that may carry them.
  secrets.push(...secretArgumentValues(call.args));
  // The session the call acted for: only one of the installation it ran on, visible in the caller's workspace (a
  // `_session` naming anything else joins no trace, so no caller can write into another workspace's).
  const named = call.trace.sessionId;
  const found = named && installation ? await findSession(sink.db, principal, named) : null;
  const session =
    found &&
    found.installationId === installation?.id &&
    (found.workspaceId === null || found.workspaceId === principal.workspaceId)
      ? found
      : null;
  const traceId = session
    ? await traceIdForThread(session.installationId, session.threadKey)
    : (call.traceId ?? newTraceId());
  const failed = call.status !== 'ok';
  // A provider tool's arguments and result as the integrations worker redacted them, when it did.
  const { redacted } = call.trace;
  const result = redacted && 'result' in redacted ? redacted.result : call.text;
  const detail = redactRecorded(
    {
      arguments: redacted?.arguments ?? call.args,
      exchanges: call.trace.exchanges,
      ...(failed ? { error: call.text } : { result }),
    },
    secrets,
  ) as Record<string, unknown>;
  const lines = [call.name, call.status, ...call.trace.exchanges.slice(0, 2).map(exchangeLine)];
  if (failed) lines.push(call.text);
  const item: RunHistoryItemInput = {
    organizationId: principal.organizationId,
    workspaceId: principal.workspaceId,
    kind: 'tool_call',
    status: call.status,
    startedAt: call.startedAt,
    durationMs: call.durationMs,
    ...actorOf(principal),
    userId: principal.userId,
    installationId: installation?.id ?? null,
    provider: installation?.provider ?? null,
    tool: call.name,
    sessionId: session?.id ?? null,
    traceId,
    summary: redactCredentials(lines.join(' · '), secrets),
    reason: call.reason,
    detail,
  };
  recordLater(sink.db.$client, sink.db, sink.bucket, item, sink.waitUntil);
}
