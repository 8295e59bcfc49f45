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

/**
 * Reads a request or response body as text, stopping at `maxBytes` (the declared Content-Length first, then while
 * streaming). Returns null when the body is larger, without buffering more than `maxBytes` of it.
 *
 * A body with a declared Content-Length and no Content-Encoding is read in one call: the HTTP framing bounds it by the
 * length already checked (and the size is checked again after the read). A body without a length, or one the runtime
 * decodes (gzip can inflate far past its declared length), is read chunk by chunk and abandoned at the cap.
 */
export async function readCapped(message: Pick<Request, 'headers' | 'body' | 'arrayBuffer'>, maxBytes: number): Promise<string | null> {
  const declared = message.headers.get('content-length');
  if (Number(declared ?? '0') > maxBytes) return null;
  if (!message.body) return '';
  if (declared !== null && !message.headers.has('content-encoding')) {
    const bytes = await message.arrayBuffer();
    return bytes.byteLength > maxBytes ? null : new TextDecoder().decode(bytes);
  }
  const reader = message.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
