/**
 * What a tool handler receives and returns. Core tools declare their input with zod (validated before `run`), the
 * OAuth scope and the minimum role they need; results are JSON values rendered by one wrapper (mcp/tool-result.ts).
 */
import type { Db, Principal } from '@gatehouse/integrations-adapters-cf';
import type { McpScope, Role, UpstreamExchange } from '@gatehouse/integrations-core';
import type { z } from 'zod';
import type { ModelEnv } from '../agents/agent-model.js';
import type { KnowledgeRetriever } from '../knowledge/retriever.js';
import type { AgentRunParams } from '../agents/agent-run-params.js';
import type { HistorySink } from '../history/tool-call-record.js';
import type { WorkerConfig } from '@gatehouse/integrations-core';

export interface ToolContext {
  principal: Principal;
  db: Db;
  config: WorkerConfig;
  fetch: typeof fetch;
  /** The integrations worker (provider tools run there). */
  integrations: Fetcher;
  /** OAuth scopes of the request's token (API tokens: all). */
  scopes: readonly string[];
  /** Origin of the MCP endpoint as the client reached it (for callback URLs). */
  publicOrigin: string;
  /** The MCP session of the request (null for initialize). */
  sessionId: string | null;
  /** Whether this MCP session's first-call context was delivered already (read with the session, no extra query). */
  contextDelivered: boolean;
  /** Where run-history items go; null when this request records none (the organization keeps no history). */
  history: HistorySink | null;
  /** Agent runs (the AGENT_RUNS workflow): invoke_agent starts one instance per run. */
  agentRuns: Workflow<AgentRunParams>;
  /** The worker's default model keys and bindings (agents/agent-model.ts). */
  modelEnv: ModelEnv;
  /** How knowledge is indexed and found: FTS5, or hybrid when the AI and KNOWLEDGE_VECTORS bindings exist. */
  knowledge: KnowledgeRetriever;
  /**
   * The trace the calls of this context join when they act for no session (an agent run's); absent = each call
   * starts its own trace.
   */
  traceId?: string;
  /** Set while a tool call is being recorded (the organization keeps run history); the call path fills it in. */
  trace?: ToolCallTrace;
  /** Tells the organization's connected clients that their tool list changed (notifications/tools/list_changed). */
  notifyToolsChanged(): void;
}

/**
 * A failure the caller can act on; its message is shown as an `isError` tool result (MCP 2025-06-18 §Tools, Error
 * Handling). `reason` is its machine-readable cause for the run history (`upstream_status`, `outbound_refused`…);
 * `refused` marks a policy refusal (role, scope, publication, outbound rules) rather than a failure.
 */
export class ToolError extends Error {
  override name = 'ToolError';
  readonly reason: string;
  readonly refused: boolean;
  /** Machine-readable detail sent as the result's `structuredContent` (e.g. a rate limit's `retry_after_seconds`). */
  readonly structured: Record<string, unknown> | undefined;
  constructor(
    message: string,
    options: { reason?: string; refused?: boolean; structured?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.reason = options.reason ?? 'tool_error';
    this.refused = options.refused ?? false;
    this.structured = options.structured;
  }
}

/**
 * What the run history records of one tool call beyond its name and arguments, filled in by the call path: the
 * installation it ran on, the `_session` it acted for, and the upstream exchanges made (history/tool-call-record.ts).
 */
export interface ToolCallTrace {
  installation: { id: string; provider: string } | null;
  /**
   * Secret values the call path held (a template installation's decrypted credentials, before and after a renewal),
   * kept in memory only, to redact them from what is recorded.
   */
  secrets: string[];
  /** A provider tool's arguments and result, redacted by the integrations worker with its installation's secrets. */
  redacted: { arguments: unknown; result?: unknown } | null;
  /** The `_session` an integration tool call named (verified against the installation when recorded). */
  sessionId: string | null;
  exchanges: UpstreamExchange[];
  /** Resolves when every recorded exchange has its body. */
  settled: (() => Promise<void>)[];
}

/** How a core tool is written: a zod input and a typed `run`. */
export interface CoreToolDefinition<S extends z.ZodObject> {
  name: string;
  title: string;
  description: string;
  /** OAuth scope a caller needs (API tokens carry all scopes). */
  scope: McpScope;
  /** Least role that may call it; creating, updating or deleting platform resources needs ADMIN. */
  minRole: Role;
  readOnly: boolean;
  /**
   * MCP ToolAnnotations of a tool that writes (MCP 2025-06-18 §Tools): `destructive` when it may overwrite or delete
   * (default false: it only adds), `idempotent` when repeating it changes nothing more (default false). `openWorld`
   * when it reaches services outside the gateway (default false).
   */
  destructive?: boolean;
  idempotent?: boolean;
  openWorld?: boolean;
  /**
   * Where tools/list shows it (call-tool.ts): `always` in both modes (the few tools every session uses),
   * `search` only in search mode; absent = in list mode, and found with search_tools in search mode.
   */
  listing?: 'always' | 'search';
  /** Render the result without indentation (results that are mostly JSON Schemas: search_tools). */
  compactResult?: boolean;
  input: S;
  run(args: z.infer<S>, ctx: ToolContext): Promise<unknown>;
}

/** A core tool as the server holds it: its input type erased behind `call`, which validates before running. */
export interface CoreTool extends Omit<CoreToolDefinition<z.ZodObject>, 'run'> {
  /** Validates `args` against `input` (ToolError naming each bad field) and runs the tool. */
  call(args: unknown, ctx: ToolContext): Promise<unknown>;
}

/** Turns a definition into a CoreTool; the one place arguments are parsed. */
export function defineCoreTool<S extends z.ZodObject>(definition: CoreToolDefinition<S>): CoreTool {
  const { run, ...meta } = definition;
  return {
    ...meta,
    async call(args, ctx) {
      const parsed = definition.input.safeParse(args ?? {});
      if (!parsed.success)
        throw new ToolError(
          `Invalid arguments for ${definition.name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('; ')}`,
        );
      return run(parsed.data, ctx);
    },
  };
}
