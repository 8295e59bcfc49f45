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
}

/** A failure the caller can act on; its message is shown as an `isError` tool result (MCP 2025-06-18 §Tools, Error Handling). */
export class ToolError extends Error {
  override name = 'ToolError';
}

export interface CoreTool<S extends z.ZodObject = z.ZodObject> {
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

/** Identity helper that keeps each tool's argument type. */
export function defineCoreTool<S extends z.ZodObject>(tool: CoreTool<S>): CoreTool<S> {
  return tool;
}
