/**
 * The baseline worker: the cheapest thing an authenticated Worker can do against D1, run in the same Miniflare as the
 * main worker and driven by the same client loop, so its p50 is the yardstick the tools/list target is stated in.
 *
 * - `POST /` hashes the bearer token (SHA-256 hex, as `sha256Hex` in @gatehouse/integrations-core does), reads the
 *   body and runs ONE indexed D1 SELECT: the `api_tokens` lookup by `token_hash` (unique index). Answers a small
 *   JSON-RPC result; 401 when the token is unknown (the bench treats that as an error).
 * - `PUT /body` (setup) keeps the request's text in the isolate; `POST /?body=1` then does the same token lookup and
 *   answers that text verbatim. Given the decoded 100 × 10 tools/list response, this is the floor under tools/list
 *   with no gateway at all: one SELECT and the same JSON, compressed per request by the edge (Miniflare's entry
 *   worker applies Cloudflare's compression of JSON responses when the client accepts gzip).
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

// The body set by PUT /body (bench setup only; one isolate per worker under Miniflare).
let storedBody = null;

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
    if (request.method === 'PUT' && url.pathname === '/body') {
      storedBody = await request.text();
      return new Response(null, { status: 204 });
    }
    const match = /^Bearer +(\\S+)$/i.exec(request.headers.get('authorization') ?? '');
    const body = await request.json();
    const row = match ? await env.AUTH_DB.prepare(SELECT_TOKEN).bind(await sha256Hex(match[1])).first() : null;
    if (!row) return Response.json({ jsonrpc: '2.0', id: body.id ?? null, error: { code: -32001, message: 'Unauthorized' } }, { status: 401 });
    if (url.searchParams.has('body')) {
      if (storedBody === null) return Response.json({ error: 'PUT /body first' }, { status: 409 });
      return new Response(storedBody, { headers: { 'content-type': 'application/json' } });
    }
    return Response.json({ jsonrpc: '2.0', id: body.id ?? null, result: { token: row } });
  },
};
`;
