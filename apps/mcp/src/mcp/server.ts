/**
 * The MCP server for one request: SDK v2's low-level Server (no zod tool registration: tools/list serves stored
 * JSON Schemas) with handlers for tools/list and tools/call, in either protocol era (protocol-era.ts). Built per
 * request; what it lists comes from the per-isolate toolset cache. On 2026-07-28 requests the SDK answers
 * `server/discover` itself and adds `resultType` and the cache hints (MCP 2026-07-28 §server/discover, §Caching).
 */
import {
  ProtocolError,
  ProtocolErrorCode,
  Server,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/server';
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/server/validators/cf-worker';
import { roleAtLeast, unhandledErrorLine } from '@gatehouse/integrations-core';
import { callIntegrationTool } from '../tools/call-integration-tool.js';
import { CALL_TOOL_NAME, callToolTarget, listingMode } from '../tools/call-tool.js';
import { CORE_TOOLS, coreDescriptorsFor, listedCoreCount } from '../tools/core-tools.js';
import { EMPTY_TOOLSET } from '../tools/integration-toolset.js';
import { INTEGRATION_SCOPE } from './scope-policy.js';
import { ToolError, type ToolContext } from '../tools/tool-types.js';
import { getIntegrationToolset } from '../tools/toolset-cache.js';
import { withFirstCallContext } from './first-call-context.js';
import { DEFAULT_INSTRUCTIONS } from './instructions.js';
import { toolResult, type ToolFailure } from './tool-result.js';
import { startToolCallRecording } from '../history/tool-call-record.js';
import { MODERN_PROTOCOL_VERSION, TOOLS_LIST_CACHE_HINT } from './protocol-era.js';

export const SERVER_INFO = { name: 'gatehouse', title: 'Gatehouse MCP gateway', version: '0.1.0' };

// One validator per isolate: without it the SDK builds a new Ajv instance (with formats) for every Server, which
// costs ~20% of a small tools/list (measured with `pnpm bench`). @cfworker/json-schema needs no eval.
const jsonSchemaValidator = new CfWorkerJsonSchemaValidator();

/** tools/call: a core tool (role checked), or an integration tool routed to its installation. */
async function callTool(
  name: string,
  args: Record<string, unknown>,
  ctx: ToolContext,
  onFailure: ((failure: ToolFailure) => void) | undefined,
): Promise<CallToolResult> {
  const core = CORE_TOOLS.find((t) => t.name === name);
  if (core) {
    if (!roleAtLeast(ctx.principal.role, core.minRole))
      return toolResult(
        name,
        async () => {
          throw new ToolError(`${name} requires the ${core.minRole} role; you are ${ctx.principal.role}.`, {
            reason: 'insufficient_role',
            refused: true,
          });
        },
        onFailure,
      );
    return withFirstCallContext(
      ctx,
      await toolResult(name, () => core.call(args, ctx), onFailure, core.compactResult === true),
    );
  }
  let integration: Awaited<ReturnType<typeof getIntegrationToolset>>;
  try {
    integration = await getIntegrationToolset(ctx.db, ctx.principal, ctx.integrations);
  } catch (err) {
    // Not knowing the tools (D1 unavailable) is this call's failure: a tool error, logged, never the raw message.
    return toolResult(name, () => Promise.reject(err), onFailure);
  }
  const routes = integration.routes.get(name);
  // Unknown tool: JSON-RPC invalid params (MCP 2025-06-18 §Tools, Error Handling: "Unknown tools").
  if (!routes)
    throw new ProtocolError(
      ProtocolErrorCode.InvalidParams,
      `Unknown tool: ${name}. Call tools/list for the available tools.`,
    );
  return withFirstCallContext(
    ctx,
    await toolResult(name, () => callIntegrationTool(name, routes, args, ctx), onFailure),
  );
}

/**
 * One tools/call, recorded in the run history: what the MCP handler and agent runs (agents/agent-toolset.ts) both
 * go through; `onFailure` learns why a failed call failed. Throws ProtocolError InvalidParams for an unknown tool.
 */
export async function runToolCall(
  name: string,
  args: Record<string, unknown>,
  ctx: ToolContext,
  onFailure?: (failure: ToolFailure) => void,
): Promise<CallToolResult> {
  // call_tool (search mode) is the named tool's call: unwrapped first, so it is checked and recorded as that call.
  if (name === CALL_TOOL_NAME) ({ name, args } = callToolTarget(args));
  const recording = startToolCallRecording(ctx, ctx.history, name, args);
  const fail =
    recording && onFailure
      ? (f: ToolFailure) => {
          recording.fail(f);
          onFailure(f);
        }
      : (recording?.fail ?? onFailure);
  try {
    const result = await callTool(name, args, recording?.ctx ?? ctx, fail);
    recording?.finish(result);
    return result;
  } catch (err) {
    recording?.finish(null, {
      reason:
        err instanceof ProtocolError && err.code === ProtocolErrorCode.InvalidParams
          ? 'unknown_tool'
          : 'internal_error',
      message: err instanceof ProtocolError ? err.message : 'internal error',
    });
    throw err;
  }
}

/**
 * The Server for one request of one era. A 2025-era Server negotiates only 2025-era revisions at `initialize` (an
 * initialize naming 2026-07-28 gets the latest of those); a modern one serves 2026-07-28 alone. `instructions`
 * replaces the workspace's for this request (the `server/discover` answer carries the session context:
 * first-call-context.ts).
 */
export function createMcpServer(
  ctx: ToolContext,
  { era, instructions }: { era: 'legacy' | 'modern'; instructions?: string },
): Server {
  const server = new Server(SERVER_INFO, {
    capabilities: { tools: { listChanged: true } },
    instructions: instructions ?? ctx.principal.workspaceInstructions ?? DEFAULT_INSTRUCTIONS,
    jsonSchemaValidator,
    supportedProtocolVersions: era === 'modern' ? [MODERN_PROTOCOL_VERSION] : [...SUPPORTED_PROTOCOL_VERSIONS],
    cacheHints: { 'tools/list': TOOLS_LIST_CACHE_HINT, 'server/discover': TOOLS_LIST_CACHE_HINT },
  });

  server.setRequestHandler('tools/list', async () => {
    let integration = EMPTY_TOOLSET;
    if (ctx.scopes.includes(INTEGRATION_SCOPE)) {
      try {
        integration = await getIntegrationToolset(ctx.db, ctx.principal, ctx.integrations);
      } catch (err) {
        // The SDK would answer a thrown error with its message (a failed query's SQL and values): log it, answer
        // JSON-RPC Internal error with the id of that line instead.
        const requestId = crypto.randomUUID();
        console.error(unhandledErrorLine(err, { worker: 'mcp', method: 'POST', route: '/mcp tools/list', requestId }));
        throw new ProtocolError(
          ProtocolErrorCode.InternalError,
          `Internal error while listing tools; it was logged (request id ${requestId}). Try again.`,
        );
      }
    }
    const { role } = ctx.principal;
    const mode = listingMode(ctx.principal, listedCoreCount(role, ctx.scopes) + integration.descriptors.length);
    const tools = [...coreDescriptorsFor(role, ctx.scopes, mode), ...(mode === 'list' ? integration.descriptors : [])];
    return { tools: tools as Tool[] };
  });

  server.setRequestHandler('tools/call', (request) =>
    runToolCall(request.params.name, (request.params.arguments ?? {}) as Record<string, unknown>, ctx),
  );

  return server;
}
