/**
 * Which protocol era a POST /mcp belongs to, and the checks the 2026-07-28 era adds, decided per request
 * (MCP 2026-07-28 §basic/versioning "Backward compatibility": a request whose `_meta` carries
 * `io.modelcontextprotocol/protocolVersion` is served statelessly; `initialize` and envelope-less requests keep the
 * 2025 sessionful path).
 *
 * The era itself comes from the SDK's classifier (`classifyInboundRequest`), which also rejects a body that
 * contradicts its own headers. What the SDK keeps inside its `createMcpHandler` is done here, because Gatehouse
 * serves the 2025 era with its own D1-backed sessions: the revision check (−32022 with the supported list) and the
 * standard request headers' presence (SEP-2243: `MCP-Protocol-Version` and `Mcp-Method` on every request,
 * `Mcp-Name` mirroring `params.name` / `params.uri`; −32020 when absent or different).
 */
import {
  classifyInboundRequest,
  ProtocolErrorCode,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CacheHint,
  type InboundModernRoute,
  type JSONRPCRequest,
} from '@modelcontextprotocol/server';

/** The stateless revision served beside the SDK's 2025-era list. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/**
 * Cache hint on modern tools/list and server/discover answers (MCP 2026-07-28 §Caching): private, since a list
 * depends on the caller's role, scopes and organization; one minute, since `subscriptions/listen` tells listeners
 * of a change at once and a client that does not listen sees it within a minute.
 */
export const TOOLS_LIST_CACHE_HINT = { ttlMs: 60_000, cacheScope: 'private' } as const satisfies CacheHint;

/** JSON-RPC code for standard request headers that are absent or disagree with the body (SEP-2243). */
export const HEADER_MISMATCH = -32020;

/** A refusal to send as-is: HTTP status and the JSON-RPC error for the request's id. */
export interface EraRejection {
  status: number;
  code: number;
  message: string;
  data?: unknown;
}

/** How one POST body is served. */
export type EraRoute =
  | { era: 'legacy' }
  | { era: 'modern'; kind: 'request'; message: JSONRPCRequest; route: InboundModernRoute }
  | { era: 'modern'; kind: 'notification' }
  | { era: 'reject'; rejection: EraRejection };

/** Methods whose `Mcp-Name` header mirrors a body field (SEP-2243 "Standard Request Headers"). */
const NAME_SOURCE: Readonly<Record<string, 'name' | 'uri' | 'taskId'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

// HTTP optional whitespace (RFC 9110 §5.6.3) around header values.
const ows = (value: string | null) => (value === null ? undefined : value.replace(/^[ \t]+|[ \t]+$/g, ''));

/** An `Mcp-Name` value: as sent, or `=?base64?<b64>?=` for names that are not plain visible ASCII (SEP-2243). */
export function decodeMcpName(value: string): string | undefined {
  // Case-sensitive prefix and padded base64 (RFC 4648 §4), as SEP-2243 writes it; anything else is a plain name.
  const wrapped = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/.exec(value);
  if (!wrapped) return value;
  if (wrapped[1]!.length % 4 !== 0) return undefined;
  try {
    const bytes = Uint8Array.from(atob(wrapped[1]!), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return undefined;
  }
}

const mismatch = (header: string, body: string): EraRoute => ({
  era: 'reject',
  rejection: {
    status: 400,
    code: HEADER_MISMATCH,
    message: `Bad Request: the request headers and body disagree: ${body}`,
    data: { mismatch: { header, body } },
  },
});

/** The standard headers a modern request must carry and mirror (SDK `createMcpHandler` does the same). */
function checkStandardHeaders(req: Request, message: JSONRPCRequest, revision: string): EraRoute | null {
  if (ows(req.headers.get('mcp-protocol-version')) === undefined)
    return mismatch(
      '(missing)',
      `the body names protocol version ${revision} but the MCP-Protocol-Version header is absent`,
    );
  if (ows(req.headers.get('mcp-method')) === undefined)
    return mismatch('(missing)', `the body names method ${message.method} but the Mcp-Method header is absent`);
  const field = Object.hasOwn(NAME_SOURCE, message.method) ? NAME_SOURCE[message.method] : undefined;
  const value = field ? (message.params as Record<string, unknown> | undefined)?.[field] : undefined;
  if (typeof value !== 'string') return null;
  const header = ows(req.headers.get('mcp-name'));
  if (header === undefined)
    return mismatch('(missing)', `the body carries params.${field}="${value}" but the Mcp-Name header is absent`);
  const decoded = decodeMcpName(header);
  if (decoded === undefined) return mismatch(header, 'the Mcp-Name header carries an invalid base64 value');
  if (decoded !== value)
    return mismatch(header, `the body carries params.${field}="${value}" but the Mcp-Name header names "${decoded}"`);
  return null;
}

/**
 * The era of a parsed POST body, or the refusal to answer. Legacy requests still pass today's
 * MCP-Protocol-Version check (2025-06-18 §Protocol Version Header) in `checkProtocolVersionHeader`.
 */
export function routeEra(req: Request, body: unknown): EraRoute {
  const outcome = classifyInboundRequest({
    httpMethod: req.method,
    protocolVersionHeader: ows(req.headers.get('mcp-protocol-version')),
    mcpMethodHeader: ows(req.headers.get('mcp-method')),
    mcpNameHeader: ows(req.headers.get('mcp-name')),
    body,
  });
  if (outcome.kind === 'legacy') return { era: 'legacy' };
  if (outcome.kind === 'reject')
    return {
      era: 'reject',
      rejection: { status: outcome.httpStatus, code: outcome.code, message: outcome.message, data: outcome.data },
    };
  // Notifications name their revision too: one the server does not serve is refused like a request's.
  const revision = outcome.classification.revision ?? MODERN_PROTOCOL_VERSION;
  if (revision !== MODERN_PROTOCOL_VERSION)
    return {
      era: 'reject',
      rejection: {
        status: 400,
        code: ProtocolErrorCode.UnsupportedProtocolVersion,
        message:
          `Unsupported protocol version: ${revision} ` +
          `(supported: ${MODERN_PROTOCOL_VERSION}; 2025-era clients send initialize)`,
        data: { supported: [MODERN_PROTOCOL_VERSION], requested: revision },
      },
    };
  if (outcome.messageKind === 'notification') return { era: 'modern', kind: 'notification' };
  const message = outcome.message as JSONRPCRequest;
  return checkStandardHeaders(req, message, revision) ?? { era: 'modern', kind: 'request', message, route: outcome };
}

/** Whether an MCP-Protocol-Version header names a 2025-era revision the SDK serves. */
export function isLegacyProtocolVersion(version: string): boolean {
  return SUPPORTED_PROTOCOL_VERSIONS.includes(version);
}
