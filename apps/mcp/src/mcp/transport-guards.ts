/**
 * Checks every /mcp request passes before any MCP handling (MCP 2025-06-18 §Transports, Security Warning and
 * Protocol Version Header). Each returns a Response to send, or null to go on.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import { jsonRpcErrorBody, readCapped } from '@gatehouse/integrations-core';

/** Largest JSON-RPC POST body accepted, bytes. Larger bodies get 413 before any parsing. */
export const MAX_MCP_BODY_BYTES = 1_048_576;

function jsonRpcError(status: number, code: number, message: string, headers: Record<string, string> = {}): Response {
  return new Response(jsonRpcErrorBody(code, message), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/**
 * DNS-rebinding protection: "Servers MUST validate the Origin header on all incoming connections". A request without
 * Origin (native clients) passes; so does one listed in ALLOWED_ORIGINS or whose host is in ALLOWED_HOSTS (same
 * origin); any other gets 403. The request's own Host is never trusted for this, since a rebound name makes Origin and
 * Host agree: only the configured lists count.
 */
export function checkOrigin(
  req: Request,
  allowedOrigins: readonly string[],
  allowedHosts: readonly string[],
): Response | null {
  const origin = req.headers.get('origin');
  if (origin === null) return null;
  if (allowedOrigins.includes(origin.toLowerCase())) return null;
  // A page served from one of our own allowed hosts is same-origin, not a rebinding attacker.
  if (allowedHosts.length > 0 && URL.canParse(origin) && allowedHosts.includes(new URL(origin).host)) return null;
  return jsonRpcError(
    403,
    -32000,
    `Forbidden: Origin ${JSON.stringify(origin)} is not allowed; add it to ALLOWED_ORIGINS`,
  );
}

/**
 * Host validation, the other half of DNS-rebinding protection (the SDK's `allowedHosts`, done here because the SDK
 * marks it deprecated in favour of middleware): with ALLOWED_HOSTS set, a request whose Host is not listed gets 403.
 */
export function checkHost(req: Request, allowedHosts: readonly string[]): Response | null {
  if (allowedHosts.length === 0) return null;
  const host = new URL(req.url).host.toLowerCase();
  if (allowedHosts.includes(host)) return null;
  return jsonRpcError(403, -32000, `Forbidden: Host ${JSON.stringify(host)} is not allowed; add it to ALLOWED_HOSTS`);
}

/**
 * 2025-era requests: "If the server receives a request with an invalid or unsupported MCP-Protocol-Version, it MUST
 * respond with 400" (2025-06-18 §Protocol Version Header). 2026-07-28 requests are checked in protocol-era.ts.
 */
export function checkProtocolVersionHeader(req: Request): Response | null {
  const version = req.headers.get('mcp-protocol-version');
  if (version === null || SUPPORTED_PROTOCOL_VERSIONS.includes(version)) return null;
  return jsonRpcError(
    400,
    -32000,
    `Bad Request: unsupported MCP-Protocol-Version ${JSON.stringify(version)} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`,
  );
}

export type BodyRead = { ok: true; json: unknown } | { ok: false; response: Response };

/** Reads a POST body up to MAX_MCP_BODY_BYTES and parses it as JSON (-32700 Parse error otherwise). */
export async function readJsonBody(req: Request): Promise<BodyRead> {
  const tooLarge = () => ({
    ok: false as const,
    response: jsonRpcError(413, -32000, `Payload Too Large: request bodies are limited to ${MAX_MCP_BODY_BYTES} bytes`),
  });
  const text = await readCapped(req, MAX_MCP_BODY_BYTES);
  if (text === null) return tooLarge();
  try {
    return { ok: true, json: JSON.parse(text) };
  } catch {
    return { ok: false, response: jsonRpcError(400, -32700, 'Parse error: the body is not valid JSON') };
  }
}

/** The initialize request in a POST body, if it is one (a single JSON-RPC request with method "initialize"). */
export function initializeParams(body: unknown): { protocolVersion: string; clientName: string | null } | null {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return null;
  const m = body as { method?: unknown; params?: { protocolVersion?: unknown; clientInfo?: { name?: unknown } } };
  if (m.method !== 'initialize') return null;
  return {
    protocolVersion: typeof m.params?.protocolVersion === 'string' ? m.params.protocolVersion : 'unknown',
    clientName: typeof m.params?.clientInfo?.name === 'string' ? m.params.clientInfo.name.slice(0, 200) : null,
  };
}

export { jsonRpcError };
