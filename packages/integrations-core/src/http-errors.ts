/**
 * Boundary errors shared by both workers. Inside a worker, pipelines return tagged results; at the HTTP edge one function renders them.
 * JSON-RPC codes: https://www.jsonrpc.org/specification#error_object (-32600 invalid request, -32603 internal).
 */

/**
 * A JSON-RPC error response body (JSON-RPC 2.0 §5.1): `id` null when the request could not be attributed; `data`
 * omitted when undefined.
 */
export function jsonRpcErrorBody(
  code: number,
  message: string,
  id: string | number | null = null,
  data?: unknown,
): string {
  const error = data === undefined ? { code, message } : { code, message, data };
  return JSON.stringify({ jsonrpc: '2.0', error, id });
}

/** A JSON error response for non-MCP routes. */
export function jsonError(
  status: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify({ error, message }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/**
 * Reads a request or response body as text, stopping at `maxBytes`. Returns null when the body is larger, without
 * buffering more than `maxBytes` of it.
 *
 * A well-formed Content-Length above `maxBytes` is refused before reading. On a body the runtime does not decode
 * (no Content-Encoding), the declared length is also the most that is read: a body that runs past it is refused
 * (null) rather than trusted to the runtime's framing. A decoded body (gzip can inflate far past its declared
 * length) is held to `maxBytes` as it streams. The bytes are decoded as UTF-8 once, at the end.
 */
export async function readCapped(message: Pick<Request, 'headers' | 'body'>, maxBytes: number): Promise<string | null> {
  const header = message.headers.get('content-length');
  const declared = header !== null && /^\d{1,15}$/.test(header) ? Number(header) : null;
  if (declared !== null && declared > maxBytes) return null;
  if (!message.body) return '';
  const limit = declared !== null && !message.headers.has('content-encoding') ? declared : maxBytes;
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const decoder = new TextDecoder();
  if (chunks.length <= 1) return decoder.decode(chunks[0]);
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return decoder.decode(bytes);
}
