/**
 * tools/list served from bytes prepared once per catalog version. With hundreds of tools the work of a tools/list is
 * not finding the tools (the toolset cache does that) but serializing and moving ~0.5 MB (see `pnpm bench`), so the
 * serialized list is cached too, already gzip-compressed: a response is the concatenation of gzip members (RFC 1952
 * §2.2: "A gzip file consists of a series of members"): a cached member for the core tools of the caller's role, a
 * cached member for the organization's integration tools, and a tiny per-request member with the JSON-RPC id. That
 * member is written synchronously with fflate as a stored (uncompressed) deflate block (RFC 1951 §3.2.4): tens of
 * bytes, where a CompressionStream per request cost more than the rest of the response.
 * Clients that do not accept gzip get the same cached JSON uncompressed.
 *
 * The result is byte-for-byte what the SDK's JSON response mode would send for `{ tools }` (JSON-RPC 2.0 §5); any
 * request this path does not cover (a cursor, a batch, a notification) goes through the SDK.
 */
import { gzipSync } from 'fflate';
import type { Db, Principal } from '@gatehouse/integrations-adapters-cf';
import { cachedValue, type McpToolDescriptor, type Role } from '@gatehouse/integrations-core';
import { listingMode, type ListingMode } from '../tools/call-tool.js';
import { coreDescriptorsFor, listedCoreCount } from '../tools/core-tools.js';
import { EMPTY_TOOLSET } from '../tools/integration-toolset.js';
import { getIntegrationToolset } from '../tools/toolset-cache.js';
import { INTEGRATION_SCOPE } from './scope-policy.js';

export interface SerializedTools {
  /** The tools as JSON array elements without the brackets ('' when none). */
  json: string;
  /** `json` as a complete gzip member. */
  gzip: Uint8Array;
}

const encoder = new TextEncoder();

/** Gzip-compresses text into one member (CompressionStream, native in workerd). */
export async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([encoder.encode(text)]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Serializes descriptors once; callers cache the result with the toolset it came from. */
export async function serializeTools(descriptors: readonly McpToolDescriptor[]): Promise<SerializedTools> {
  const json = descriptors.map((d) => JSON.stringify(d)).join(',');
  return { json, gzip: await gzip(json) };
}

const serialized = new WeakMap<object, SerializedTools>();

/**
 * The serialized form of a descriptor list, computed once per list object (toolsets are immutable once cached). The
 * cache holds the bytes, never the promise of them (another request's I/O: isolate-cache.ts).
 */
export function serializedFor(owner: object, descriptors: readonly McpToolDescriptor[]): Promise<SerializedTools> {
  return cachedValue(serialized, owner, () => serializeTools(descriptors));
}

/** A JSON-RPC request this path answers: a single tools/list without a cursor. */
export function isPlainToolsList(body: unknown): body is { jsonrpc: '2.0'; id: string | number; method: 'tools/list' } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const m = body as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  if (m.jsonrpc !== '2.0' || m.method !== 'tools/list') return false;
  if (typeof m.id !== 'string' && !(typeof m.id === 'number' && Number.isFinite(m.id))) return false;
  if (m.params === undefined) return true;
  if (!m.params || typeof m.params !== 'object' || Array.isArray(m.params)) return false;
  return Object.keys(m.params).every((k) => k === '_meta');
}

function acceptsGzip(req: Request): boolean {
  const header = req.headers.get('accept-encoding') ?? '';
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

const HEAD = '{"result":{"tools":[';
// Constant members, compressed once per isolate, synchronously (fflate; a few bytes each).
const headMember = gzipSync(encoder.encode(HEAD), { mtime: 0 });
const commaMember = gzipSync(encoder.encode(','), { mtime: 0 });

/** Whether the POST carries what the Streamable HTTP transport requires; otherwise the SDK answers (406/415). */
export function isAcceptableMcpPost(req: Request): boolean {
  const accept = req.headers.get('accept') ?? '';
  const contentType = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  return (
    accept.includes('application/json') && accept.includes('text/event-stream') && contentType === 'application/json'
  );
}

/**
 * The tools/list response from cached parts: `{"result":{"tools":[<core>,<integration>]},"jsonrpc":"2.0","id":<id>}`
 * (the SDK's key order), gzip-encoded when the client accepts it; only the member holding the id is compressed per
 * request. `resultFields` are JSON members appended to the result after the tools (2026-07-28: `resultType`, the
 * cache hint and `_meta`), starting with a comma.
 */
export async function toolsListResponse(
  req: Request,
  id: string | number,
  core: SerializedTools,
  integration: SerializedTools,
  resultFields = '',
): Promise<Response> {
  const separator = core.json && integration.json ? ',' : '';
  const tail = `]${resultFields}},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`;
  const headers: Record<string, string> = { 'content-type': 'application/json', vary: 'accept-encoding' };
  if (!acceptsGzip(req)) return new Response(HEAD + core.json + separator + integration.json + tail, { headers });
  const parts = [
    headMember,
    core.gzip,
    ...(separator ? [commaMember] : []),
    integration.gzip,
    gzipSync(encoder.encode(tail), { level: 0, mtime: 0 }),
  ];
  const body = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    body.set(p, offset);
    offset += p.byteLength;
  }
  return new Response(body, { headers: { ...headers, 'content-encoding': 'gzip' }, encodeBody: 'manual' });
}

/** Core tool descriptors per (role, scopes, mode), serialized once per isolate (3 roles × a few scope sets × 2). */
const coreByCaller = new Map<string, SerializedTools>();
export function serializedCoreTools(
  role: Role,
  scopes: readonly string[],
  mode: ListingMode,
): Promise<SerializedTools> {
  return cachedValue(coreByCaller, `${role} ${mode} ${[...scopes].sort().join(' ')}`, () =>
    serializeTools(coreDescriptorsFor(role, scopes, mode)),
  );
}

const NO_TOOLS: SerializedTools = { json: '', gzip: gzipSync(new Uint8Array(0), { mtime: 0 }) };

/**
 * tools/list for a caller from the cached parts: the core tools of its role and scopes, and the organization's
 * integration tools when it holds mcp:execute and the workspace lists them (search mode lists none: call-tool.ts). Null when the toolset cannot be read (D1 unavailable): the caller
 * falls through to the SDK path, which tries once more and answers a failure as JSON-RPC Internal error with a
 * request id (server.ts), never a bare 500.
 */
export async function cachedToolsList(
  req: Request,
  id: string | number,
  db: Db,
  principal: Principal,
  scopes: readonly string[],
  integrations: Fetcher,
  resultFields = '',
): Promise<Response | null> {
  const toolset = scopes.includes(INTEGRATION_SCOPE)
    ? await getIntegrationToolset(db, principal, integrations).catch(() => null)
    : EMPTY_TOOLSET;
  if (!toolset) return null;
  const mode = listingMode(principal, listedCoreCount(principal.role, scopes) + toolset.descriptors.length);
  const [core, integration] = await Promise.all([
    serializedCoreTools(principal.role, scopes, mode),
    mode === 'list' ? serializedFor(toolset, toolset.descriptors) : NO_TOOLS,
  ]);
  return toolsListResponse(req, id, core, integration, resultFields);
}
