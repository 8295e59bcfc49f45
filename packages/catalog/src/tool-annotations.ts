/**
 * MCP tool annotations for template tools (MCP 2025-06-18 §Tools, ToolAnnotations;
 * https://modelcontextprotocol.io/specification/2025-06-18/schema#toolannotations). The defaults of the spec are
 * the cautious ones (`readOnlyHint` false, `destructiveHint` true, `idempotentHint` false, `openWorldHint` true), so a
 * tool that says nothing is treated as destructive by clients that ask before destructive calls. A template tool's
 * hints come from its declaration, else from its HTTP method (RFC 9110 §9.2.2 for idempotency): GET reads; POST adds
 * (not destructive); PUT, PATCH and DELETE may overwrite or remove (destructive); PUT and DELETE are idempotent.
 */
import type { McpToolDescriptor } from '@gatehouse/integrations-core';
import type { TemplateTool } from './template-schema.js';

/** Every hint spelled out (the complete form; listings may drop the spec's defaults). */
export type ToolAnnotations = Required<NonNullable<McpToolDescriptor['annotations']>>;

/** The hints of one template tool, declared or derived from its method. */
export function templateToolAnnotations(
  tool: Pick<TemplateTool, 'method' | 'readOnly' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint'>,
): ToolAnnotations {
  const method = tool.method.toUpperCase();
  const readOnly = tool.readOnly;
  return {
    readOnlyHint: readOnly,
    destructiveHint:
      !readOnly && (tool.destructiveHint ?? (method === 'PUT' || method === 'PATCH' || method === 'DELETE')),
    idempotentHint: readOnly || (tool.idempotentHint ?? (method === 'PUT' || method === 'DELETE')),
    openWorldHint: tool.openWorldHint ?? true,
  };
}

/**
 * One tool name provided by several tools (the `_integration` grouping): the cautious combination, so a client that
 * asks before destructive calls asks when any of them may destroy. Read-only and idempotent only if all are,
 * destructive and open-world if any is.
 */
export function combineAnnotations(all: readonly ToolAnnotations[]): ToolAnnotations {
  return {
    readOnlyHint: all.every((a) => a.readOnlyHint),
    destructiveHint: all.some((a) => a.destructiveHint),
    idempotentHint: all.every((a) => a.idempotentHint),
    openWorldHint: all.some((a) => a.openWorldHint),
  };
}

/**
 * The hints as listed: only those that differ from the spec's defaults (a 5,000-tool list pays for every byte), and
 * for a read-only tool only `readOnlyHint` (the other hints are meaningful only when it is false). Empty → undefined.
 */
export function listedAnnotations(a: ToolAnnotations): McpToolDescriptor['annotations'] | undefined {
  if (a.readOnlyHint) return { readOnlyHint: true, ...(a.openWorldHint ? {} : { openWorldHint: false }) };
  const out: NonNullable<McpToolDescriptor['annotations']> = {};
  if (!a.destructiveHint) out.destructiveHint = false;
  if (a.idempotentHint) out.idempotentHint = true;
  if (!a.openWorldHint) out.openWorldHint = false;
  return Object.keys(out).length ? out : undefined;
}
