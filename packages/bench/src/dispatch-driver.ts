/**
 * The dispatch driver: a bench-only worker that plays the integrations worker's side of a SessionDispatch delivery,
 * so the bench can time one dispatch from the sender's `fetch` to the main worker's answer (signature check, schema
 * check, installation lookup, session upsert and event append in one D1 batch, the publication insert).
 *
 * - `POST /dispatch` with `{ organizationId, workspaceId, installationId, threadKey }` (the seeded GitHub
 *   installation and one fixed thread): builds a SessionDispatch shaped like the GitHub provider's (an
 *   `issue_comment.created` event, the session publication `comment.create` on the thread) with a dispatch id unique
 *   per request (a random prefix per isolate and a counter), hands it to `deliverToMain` (Workers RPC), and answers 200 with the
 *   main worker's JSON only if the main worker appended it; anything else is a 500, which fails the bench row.
 * - `POST /floor`: the same request, the dispatch built and serialized, answered without calling the main worker: the
 *   floor under the dispatch row (the hop into the driver, its JSON work, the answer).
 *
 * Bindings: MAIN (service binding to the main worker), MCP_SIGNING_KEY (the secret both workers share).
 * Plain JavaScript on purpose: Miniflare loads it as-is, no bundling step.
 */

/** Name of the dispatch driver inside the Miniflare instance. */
export const DISPATCH_DRIVER_NAME = 'bench-dispatch-driver';

/** Where the driver is routed. */
export const DISPATCH_ORIGIN = 'https://dispatch.bench.local';

/** What a `POST /dispatch` or `POST /floor` body names: the installation and thread every dispatch goes to. */
export interface DispatchTarget {
  organizationId: string;
  workspaceId: string | null;
  installationId: string;
  threadKey: string;
}

/** ES module source of the dispatch driver. */
export const DISPATCH_DRIVER_SCRIPT = /* js */ `
const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

// Dispatch ids: a random prefix per isolate (set on the first request: no randomness at global scope) and a counter.
let prefix = null;
let counter = 0;

// ============================================================================================================
// TRANSPORT: Workers RPC, as the integrations worker's queue consumer delivers (apps/integrations/src/
// dispatch-queue.ts): a signed \`session-dispatch\` message (packages/integrations-core/src/internal-message.ts,
// HMAC-SHA256 over "gatehouse-internal-v1\\n<direction>\\n<id>\\n<timestamp>\\n<body>", the key imported once as
// signInternalMessage keeps it) passed to env.MAIN.deliverSessionDispatch (apps/mcp/src/sessions/
// receive-session-dispatch.ts). Resolves with { sessionId, appended } when the main worker appended it, else null.
// ============================================================================================================
let signingKey = null;
async function deliverToMain(env, dispatch) {
  signingKey ??= await crypto.subtle.importKey(
    'raw', encoder.encode(env.MCP_SIGNING_KEY), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'],
  );
  const unsigned = {
    direction: 'session-dispatch',
    id: crypto.randomUUID(),
    timestamp: Math.floor(Date.now() / 1000),
    body: JSON.stringify(dispatch),
  };
  // The signed text's line breaks: escaped here because this source is itself a template literal.
  const text = ['gatehouse-internal-v1', unsigned.direction, unsigned.id, unsigned.timestamp, unsigned.body].join('\\n');
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', signingKey, encoder.encode(text)));
  let hex = '';
  for (const b of mac) hex += HEX[b];
  const result = await env.MAIN.deliverSessionDispatch({ ...unsigned, signature: hex });
  return result.ok && result.appended === true ? { sessionId: result.sessionId, appended: true } : null;
}

// A SessionDispatch as the GitHub provider builds one for an issue comment (sessionDispatchFor).
function buildDispatch(target) {
  prefix ??= crypto.randomUUID().slice(0, 8);
  counter += 1;
  const deliveryId = 'bench-' + prefix + '-' + counter;
  return {
    dispatchId: 'github:' + target.installationId + ':' + deliveryId,
    organizationId: target.organizationId,
    workspaceId: target.workspaceId,
    installationId: target.installationId,
    provider: 'github',
    threadKey: target.threadKey,
    title: 'Login fails on Safari',
    publication: { granularity: 'issue', target: target.threadKey, scopes: ['comment.create'] },
    closesThread: false,
    event: {
      name: 'issue_comment.created',
      actor: 'octocat',
      summary: 'octocat commented on ' + target.threadKey + ': bench delivery ' + counter,
      data: {
        comment_id: 5000000 + counter,
        html_url: 'https://github.com/' + target.threadKey.replace('#', '/issues/'),
      },
    },
  };
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method !== 'POST' || (url.pathname !== '/dispatch' && url.pathname !== '/floor'))
      return Response.json({ error: 'not found' }, { status: 404 });
    const dispatch = buildDispatch(await request.json());
    if (url.pathname === '/floor') {
      // Serialized as the transport would, so the floor does the driver's JSON work too.
      const bytes = JSON.stringify(dispatch).length;
      return Response.json({ ok: bytes > 0 });
    }
    const result = await deliverToMain(env, dispatch);
    if (result === null)
      return Response.json({ error: 'the main worker did not append the dispatch' }, { status: 500 });
    return Response.json(result);
  },
};
`;
