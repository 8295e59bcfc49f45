/**
 * Calling a tool for an agent run. A call outside the run's usable tools (agent-toolset.ts) is refused and recorded
 * as refused, whatever the model answered. `_session` is the run's own, set by the gateway for every integration
 * tool (a model naming another session is overridden), so writes pass only where that session's publication
 * allows. What the call returns is redacted with the secrets its path held before the model or a step sees it.
 */
import { redactCredentials, type McpToolDescriptor } from '@gatehouse/integrations-core';
import type { CallToolResult } from '@modelcontextprotocol/server';
import { emptyTrace, secretArgumentValues, startToolCallRecording } from '../history/tool-call-record.js';
import { runToolCall } from '../mcp/server.js';
import type { ToolFailure } from '../mcp/tool-result.js';
import { CALL_TOOL_NAME } from '../tools/call-tool.js';
import { CORE_TOOL_NAMES } from '../tools/core-tools.js';
import { SESSION_ARGUMENT } from '../tools/integration-toolset.js';
import type { ToolContext } from '../tools/tool-types.js';

/** A tool result as the run keeps it: whether it failed, its text, and why it was refused when it was. */
export interface AgentToolOutcome {
  status: 'ok' | 'error' | 'refused';
  reason: string | null;
  text: string;
}

/**
 * Calls `name` for the run when `usable` has it (refused and recorded otherwise). The model's `_session` is replaced
 * by the run's session for integration tools and dropped for core tools.
 */
export async function callAsAgent(
  name: string,
  args: Record<string, unknown>,
  usable: readonly McpToolDescriptor[],
  ctx: ToolContext,
  sessionId: string | null,
): Promise<AgentToolOutcome> {
  const { [SESSION_ARGUMENT]: _fromModel, ...rest } = args;
  const callArgs = sessionId && !CORE_TOOL_NAMES.has(name) ? { ...rest, [SESSION_ARGUMENT]: sessionId } : rest;
  // call_tool would carry the model's own `_session` inside its arguments, past the override above: never for agents
  // (their tools are listed in full, so they have no need of it).
  if (name === CALL_TOOL_NAME || !usable.some((d) => d.name === name)) {
    const message = `The tool ${name} is not one this agent may call (its tools list, role and scopes decide).`;
    startToolCallRecording(ctx, ctx.history, name, callArgs)?.finish(null, {
      reason: 'tool_not_allowed',
      message,
      refused: true,
    });
    return { status: 'refused', reason: 'tool_not_allowed', text: message };
  }
  let result: CallToolResult;
  let failure: ToolFailure | null = null;
  // The run's own trace for the call: the secrets the call path held redact what the model and the step are shown.
  const trace = emptyTrace();
  try {
    result = await runToolCall(name, callArgs, { ...ctx, trace }, (f) => {
      failure = f;
    });
  } catch (err) {
    // An unknown tool (McpError InvalidParams): the tool vanished between listing and calling.
    return { status: 'error', reason: 'unknown_tool', text: err instanceof Error ? err.message : String(err) };
  }
  const secrets = [...(ctx.history?.knownSecrets() ?? []), ...trace.secrets, ...secretArgumentValues(callArgs)];
  const text = redactCredentials(
    result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type} content]`)).join('\n'),
    secrets,
  );
  if (!result.isError) return { status: 'ok', reason: null, text };
  const why = failure as ToolFailure | null;
  return { status: why?.refused ? 'refused' : 'error', reason: why?.reason ?? 'tool_error', text };
}
