/**
 * The baseline worker: the cheapest thing an authenticated Worker can do against D1, run in the same Miniflare as the
 * main worker and driven by the same client loop, so its p50 is the yardstick the tools/list target is stated in.
 *
 * - `POST /` hashes the bearer token (SHA-256 hex, as `sha256Hex` in @gatehouse/integrations-core does), reads the
 *   body and runs ONE indexed D1 SELECT: the `api_tokens` lookup by `token_hash` (unique index). Answers a small
 *   JSON-RPC result; 401 when the token is unknown (the bench treats that as an error).
 * - `POST /?pad=<bytes>` does the same and appends a cached string of that many bytes to the result: the transfer
 *   floor for a tools/list of that size (moving the bytes, no per-request serialization of a tool list). workerd
 *   gzips it per request when the client accepts gzip, as it does any Worker response without a Content-Encoding.
 * - `GET /upstream` makes one raw `fetch` of the loopback upstream's issue URL and returns its JSON: the floor under
 *   the main worker's tools/call (which adds auth, routing, credential decryption, argument validation, mapping).
 *
 * Plain JavaScript on purpose: Miniflare loads it as-is, no bundling step.
 */

/** Name of the baseline worker inside the Miniflare instance. */
export const BASELINE_WORKER_NAME = 'bench-baseline';

/** ES module source of the baseline worker. Bindings: AUTH_DB (D1), UPSTREAM_ISSUE_URL, UPSTREAM_AUTHORIZATION. */
export const BASELINE_WORKER_SCRIPT = /* js */ `
const SELECT_TOKEN = 'SELECT id, organization_id, workspace_id, role FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL';

// Per-isolate cache of padding strings by size (immutable once built).
const pads = new Map();
function pad(bytes) {
  if (!pads.has(bytes)) pads.set(bytes, 'x'.repeat(bytes));
  return pads.get(bytes);
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
async function sha256Hex(value) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  let hex = '';
  for (const b of new Uint8Array(digest)) hex += HEX[b];
  return hex;
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === 'GET' && url.pathname === '/upstream') {
      const res = await fetch(env.UPSTREAM_ISSUE_URL, { headers: { authorization: env.UPSTREAM_AUTHORIZATION, accept: 'application/json' } });
      if (!res.ok) return Response.json({ error: 'upstream status ' + res.status }, { status: 502 });
      return Response.json(await res.json());
    }
    const match = /^Bearer +(\\S+)$/i.exec(request.headers.get('authorization') ?? '');
    const body = await request.json();
    const row = match ? await env.AUTH_DB.prepare(SELECT_TOKEN).bind(await sha256Hex(match[1])).first() : null;
    if (!row) return Response.json({ jsonrpc: '2.0', id: body.id ?? null, error: { code: -32001, message: 'Unauthorized' } }, { status: 401 });
    const padBytes = Number(url.searchParams.get('pad') ?? 0);
    if (padBytes > 0) {
      const head = JSON.stringify({ jsonrpc: '2.0', id: body.id ?? null, result: { token: row } }).slice(0, -2);
      return new Response(head + ',"pad":"' + pad(padBytes) + '"}}', { headers: { 'content-type': 'application/json' } });
    }
    return Response.json({ jsonrpc: '2.0', id: body.id ?? null, result: { token: row } });
  },
};
`;
