/**
 * What a tool handler receives and returns. Core tools declare their input with zod (validated before `run`), the
 * OAuth scope and the minimum role they need; results are JSON values rendered by one wrapper (mcp/tool-result.ts).
 */
import type { Db, Principal } from '@gatehouse/integrations-adapters-cf';
import type { McpScope, Role } from '@gatehouse/integrations-core';
import type { z } from 'zod';
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
  /** Tells the organization's connected clients that their tool list changed (notifications/tools/list_changed). */
  notifyToolsChanged(): void;
}

/** A failure the caller can act on; its message is shown as an `isError` tool result (MCP 2025-06-18 §Tools, Error Handling). */
export class ToolError extends Error {
  override name = 'ToolError';
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
