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
 * - `POST /ingest` is the floor under webhook ingest: the raw body, its GitHub `X-Hub-Signature-256` checked with
 *   HMAC-SHA256 (`crypto.subtle.verify`, constant time) against WEBHOOK_SECRET, ONE D1 insert keyed by the
 *   `X-GitHub-Delivery` id (table `bench_ingest`, made at setup), one `Queue.send`, 202. The integrations worker's
 *   route adds the installation lookup, credential decryption, payload validation and dedupe on two unique keys.
 *
 * Plain JavaScript on purpose: Miniflare loads it as-is, no bundling step.
 */

/** Name of the baseline worker inside the Miniflare instance. */
export const BASELINE_WORKER_NAME = 'bench-baseline';

/** The table POST /ingest inserts into (created by the bench before the ingest rows). */
export const BASELINE_INGEST_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS bench_ingest (delivery_id TEXT PRIMARY KEY, received_at INTEGER NOT NULL)';

/**
 * ES module source of the baseline worker. Bindings: AUTH_DB (D1), UPSTREAM_ISSUE_URL, UPSTREAM_AUTHORIZATION,
 * WEBHOOK_SECRET, INGEST_QUEUE (Queue producer).
 */
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
    if (request.method === 'POST' && url.pathname === '/ingest') {
      const raw = await request.arrayBuffer();
      const signature = /^sha256=([0-9a-f]{64})$/.exec(request.headers.get('x-hub-signature-256') ?? '');
      const deliveryId = request.headers.get('x-github-delivery');
      if (!signature || !deliveryId) return Response.json({ error: 'unsigned' }, { status: 401 });
      const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(env.WEBHOOK_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      const mac = new Uint8Array(signature[1].match(/../g).map((h) => parseInt(h, 16)));
      if (!(await crypto.subtle.verify('HMAC', key, mac, raw))) return Response.json({ error: 'bad signature' }, { status: 401 });
      await env.AUTH_DB.prepare('INSERT INTO bench_ingest (delivery_id, received_at) VALUES (?, ?)').bind(deliveryId, Date.now()).run();
      await env.INGEST_QUEUE.send({ deliveryId });
      return Response.json({ ok: true, accepted: true }, { status: 202 });
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
