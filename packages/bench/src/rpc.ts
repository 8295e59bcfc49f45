/**
 * JSON-RPC over MCP Streamable HTTP (stateless JSON mode) to the workers under Miniflare, two ways, and the checks
 * that make each bench row measure a correct answer: the first response of a row is parsed and validated (JSON-RPC
 * 2.0 shape, tool count, tool result), every timed response must be HTTP 200 and is read to the end.
 *
 * - `httpSampler`: plain HTTP/1.1 on one keep-alive connection to workerd's entry socket, the body read as the bytes
 *   on the wire (gzip stays gzip), as HTTP load generators (wrk, autocannon) measure a server. The worker's latency.
 * - `sampler`: `Miniflare#dispatchFetch`, i.e. Node's fetch (undici), the body decoded: what a Node MCP client such
 *   as the SDK's pays end to end, including undici's streaming gunzip of the whole list.
 *
 * Transport headers per MCP 2025-06-18 §Transports, Streamable HTTP: POST with `Accept` listing both
 * `application/json` and `text/event-stream`.
 */
import { Agent, request as httpRequest } from 'node:http';
import type { Miniflare } from 'miniflare';

/** A prepared request: the same URL and init are replayed for every sample of a row. */
export interface PreparedRequest {
  url: string;
  init: { method: string; headers: Record<string, string>; body?: string };
}

/** A JSON-RPC request to `url` carrying `Authorization: Bearer <token>`. */
export function jsonRpcRequest(
  url: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): PreparedRequest {
  return {
    url,
    init: {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-06-18',
        // What Node's fetch (undici), and so the MCP SDK client, sends by default; the same for every row.
        'accept-encoding': 'gzip, deflate',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    },
  };
}

/**
 * The same request in MCP 2026-07-28 form (stateless, no session): the per-request `_meta` envelope
 * (protocolVersion, clientInfo, clientCapabilities) and the standard headers MCP-Protocol-Version, Mcp-Method and,
 * for tools/call, Mcp-Name (SEP-2243), as the SDK v2 client sends them.
 */
export function modernRequest(
  url: string,
  token: string,
  method: string,
  params: Record<string, unknown> = {},
): PreparedRequest {
  const legacy = jsonRpcRequest(url, token, method);
  const _meta = {
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientInfo': { name: 'gatehouse-bench', version: '1' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const headers: Record<string, string> = {
    ...legacy.init.headers,
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': method,
  };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  return {
    url,
    init: {
      ...legacy.init,
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta } }),
    },
  };
}

/** A 2026-07-28 result must say it is complete (MCP 2026-07-28 §Results, `resultType`). */
export function checkModernResult(text: string): void {
  if (jsonRpcResult(text).resultType !== 'complete')
    throw new BenchCheckError(`2026-07-28 result without resultType "complete": ${text.slice(0, 200)}`);
}

/**
 * Initializes an MCP session for the request's token (MCP 2025-06-18 §Session Management) and returns the request
 * with its Mcp-Session-Id, as a real client sends it after initialize.
 */
export async function withSession(mf: Miniflare, req: PreparedRequest): Promise<PreparedRequest> {
  const init = {
    ...req.init,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'gatehouse-bench', version: '1' },
      },
    }),
  };
  const res = await mf.dispatchFetch(req.url, init);
  await res.arrayBuffer();
  const sessionId = res.headers.get('mcp-session-id');
  if (res.status !== 200 || !sessionId)
    throw new BenchCheckError(`initialize at ${req.url}: HTTP ${res.status}, no Mcp-Session-Id`);
  return { url: req.url, init: { ...req.init, headers: { ...req.init.headers, 'mcp-session-id': sessionId } } };
}

/** Thrown when a response is not what the row is supposed to measure. */
export class BenchCheckError extends Error {
  override name = 'BenchCheckError';
}

/** Sends the request and returns the body text; throws BenchCheckError on a status other than 200. */
export async function sendText(mf: Miniflare, req: PreparedRequest): Promise<string> {
  const res = await mf.dispatchFetch(req.url, req.init);
  const text = await res.text();
  if (res.status !== 200)
    throw new BenchCheckError(`${req.init.method} ${req.url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** A sampler for `measure`: sends the request and drains the body without parsing it. */
export function sampler(mf: Miniflare, req: PreparedRequest): () => Promise<void> {
  return async () => {
    const res = await mf.dispatchFetch(req.url, req.init);
    await res.arrayBuffer();
    if (res.status !== 200) throw new BenchCheckError(`${req.init.method} ${req.url}: HTTP ${res.status}`);
  };
}

/** One keep-alive HTTP/1.1 connection to workerd's entry socket (`await mf.ready`). */
export interface EntryConnection {
  origin: URL;
  agent: Agent;
}

/** Opens the connection pool (one socket: requests are sequential). Destroy `agent` when done. */
export function entryConnection(origin: URL): EntryConnection {
  return { origin, agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
}

/**
 * A sampler that sends the request over `conn` and counts the raw body bytes to the end. Miniflare's entry worker
 * routes on `MF-Original-URL` (the URL `dispatchFetch` would have been given), exactly as `dispatchFetch` sends it.
 * Resolves with the number of body bytes on the wire.
 */
export function httpSampler(conn: EntryConnection, req: PreparedRequest): () => Promise<number> {
  const target = new URL(req.url);
  const options = {
    host: conn.origin.hostname,
    port: conn.origin.port,
    path: target.pathname + target.search,
    method: req.init.method,
    agent: conn.agent,
    headers: { ...req.init.headers, host: target.host, 'mf-original-url': req.url, 'mf-disable-pretty-error': 'true' },
  };
  return () =>
    new Promise<number>((resolve, reject) => {
      const outgoing = httpRequest(options, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.byteLength));
        res.on('error', reject);
        res.on('end', () =>
          res.statusCode === 200
            ? resolve(bytes)
            : reject(new BenchCheckError(`${req.init.method} ${req.url}: HTTP ${res.statusCode}`)),
        );
      });
      outgoing.on('error', reject);
      outgoing.end(req.init.body);
    });
}

type Json = Record<string, unknown>;

/** The `result` of a JSON-RPC 2.0 success response (JSON-RPC 2.0 §5), or BenchCheckError. */
export function jsonRpcResult(text: string): Json {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BenchCheckError(`response is not JSON: ${text.slice(0, 200)}`);
  }
  const msg = body as {
    jsonrpc?: unknown;
    id?: unknown;
    result?: unknown;
    error?: { code?: unknown; message?: unknown };
  };
  if (msg.jsonrpc !== '2.0' || msg.id !== 1)
    throw new BenchCheckError(`not a JSON-RPC 2.0 response to id 1: ${text.slice(0, 200)}`);
  if (msg.error) throw new BenchCheckError(`JSON-RPC error ${String(msg.error.code)}: ${String(msg.error.message)}`);
  if (typeof msg.result !== 'object' || msg.result === null)
    throw new BenchCheckError('JSON-RPC response without a result object');
  return msg.result as Json;
}

/**
 * Validates a tools/list result: every tool has a unique name and an object input schema, and exactly
 * `expectedMatching` names match `pattern` (the synthetic integration tools). Returns the total number listed.
 */
export function checkToolsList(text: string, pattern: RegExp, expectedMatching: number): number {
  const tools = jsonRpcResult(text).tools;
  if (!Array.isArray(tools)) throw new BenchCheckError('tools/list result has no tools array');
  const names = new Set<string>();
  for (const tool of tools as Array<{ name?: unknown; inputSchema?: { type?: unknown } }>) {
    if (typeof tool.name !== 'string' || tool.inputSchema?.type !== 'object')
      throw new BenchCheckError(`malformed tool: ${JSON.stringify(tool).slice(0, 200)}`);
    if (names.has(tool.name)) throw new BenchCheckError(`tool ${tool.name} listed twice`);
    names.add(tool.name);
  }
  const matching = [...names].filter((n) => pattern.test(n)).length;
  if (matching !== expectedMatching)
    throw new BenchCheckError(`tools/list returned ${matching} integration tools, expected ${expectedMatching}`);
  return tools.length;
}

/** The JSON a tools/call result carries: not `isError`, first content item is text holding JSON. */
function toolCallJson(text: string): Json {
  const result = jsonRpcResult(text) as { isError?: unknown; content?: Array<{ type?: unknown; text?: unknown }> };
  const first = result.content?.[0];
  if (result.isError === true)
    throw new BenchCheckError(`tools/call returned a tool error: ${String(first?.text).slice(0, 300)}`);
  if (first?.type !== 'text' || typeof first.text !== 'string')
    throw new BenchCheckError('tools/call result has no text content');
  try {
    return JSON.parse(first.text) as Json;
  } catch {
    throw new BenchCheckError(`tools/call result text is not JSON: ${first.text.slice(0, 200)}`);
  }
}

/** Validates a tools/call result of the jira-cloud `get_issue`: its JSON has `key` = `issueKey`. */
export function checkGetIssueResult(text: string, issueKey: string): void {
  const issue = toolCallJson(text);
  if (issue.key !== issueKey)
    throw new BenchCheckError(`tools/call returned issue ${String(issue.key)}, expected ${issueKey}`);
}

/**
 * Validates a tools/call result of `mcp_github_get_issue`: GitHub's issue object
 * (https://docs.github.com/en/rest/issues/issues#get-an-issue) with the requested `number` and the fake's `title`.
 */
export function checkGithubIssueResult(text: string, number: number, title: string): void {
  const issue = toolCallJson(text);
  if (issue.number !== number || issue.title !== title)
    throw new BenchCheckError(
      `tools/call returned GitHub issue ${String(issue.number)} "${String(issue.title)}", ` +
        `expected ${number} "${title}"`,
    );
}
