/**
 * Boundary errors shared by both workers. Inside a worker, pipelines return tagged results; at the HTTP edge one function renders them.
 * JSON-RPC codes: https://www.jsonrpc.org/specification#error_object (-32600 invalid request, -32603 internal).
 */

/** A JSON-RPC error response body with a null id (the request could not be attributed). */
export function jsonRpcErrorBody(code: number, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null });
}

/** A JSON error response for non-MCP routes. */
export function jsonError(status: number, error: string, message: string, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ error, message }), { status, headers: { 'content-type': 'application/json', ...headers } });
}
