/**
 * The one wrapper every tool result goes through (MCP 2025-06-18 §Tools "Error Handling"): a ToolError becomes an
 * `isError: true` result with its message; anything unexpected is logged and answered with a generic message, so
 * no stack, upstream body or secret reaches the client.
 */
import type { CallToolResult } from '@modelcontextprotocol/server';
import { redactSecrets } from '@gatehouse/integrations-core';
import { ToolError } from '../tools/tool-types.js';

/** Largest tool result sent, bytes of its text (the product docs cap responses at 900 KB). */
export const MAX_TOOL_RESULT_BYTES = 900 * 1024;

/** Why a call failed, for the run history: ToolError's reason and refusal flag, `internal_error` otherwise. */
export interface ToolFailure {
  reason: string;
  refused: boolean;
}

/**
 * Runs a tool and renders its result, indented for reading unless `compact` (a result made mostly of JSON Schemas,
 * where indentation would be most of the bytes and tokens); `onFailure` learns why it failed (the run history
 * records it).
 */
export async function toolResult(
  name: string,
  run: () => Promise<unknown>,
  onFailure?: (failure: ToolFailure) => void,
  compact = false,
): Promise<CallToolResult> {
  try {
    const value = await run();
    const text = compact ? JSON.stringify(value ?? null) : JSON.stringify(value ?? null, null, 2);
    const bytes = text.length <= MAX_TOOL_RESULT_BYTES / 3 ? text.length : new TextEncoder().encode(text).length;
    if (bytes > MAX_TOOL_RESULT_BYTES) {
      onFailure?.({ reason: 'result_too_large', refused: false });
      return {
        isError: true,
        content: [
          {
            type: 'text',
            text: `${name} answered ${Math.ceil(bytes / 1024)} KB, more than the ${MAX_TOOL_RESULT_BYTES / 1024} KB a tool result may carry: narrow the request. What the service answered is in the run history (search_run_history with tool "${name}", then get_run_history_item with search).`,
          },
        ],
      };
    }
    return { content: [{ type: 'text', text }] };
  } catch (err) {
    if (err instanceof ToolError) {
      onFailure?.({ reason: err.reason, refused: err.refused });
      return {
        isError: true,
        content: [{ type: 'text', text: err.message }],
        ...(err.structured ? { structuredContent: err.structured } : {}),
      };
    }
    onFailure?.({ reason: 'internal_error', refused: false });
    // What failed, for whoever reads the log: the error's name and its message with secrets removed (a driver error
    // wrapped by drizzle is reported by its cause, without the query's parameter values).
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const message = cause instanceof Error ? cause.message : String(cause);
    console.error(
      JSON.stringify({
        msg: 'tool failed',
        tool: name,
        error: err instanceof Error ? err.name : 'unknown',
        message: redactSecrets(message).slice(0, 500),
      }),
    );
    return {
      isError: true,
      content: [{ type: 'text', text: `${name} failed unexpectedly; the error was logged. Try again later.` }],
    };
  }
}
