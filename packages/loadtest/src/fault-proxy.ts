/**
 * A fault-injecting stand-in between the integrations worker's MAIN binding and the main worker, for the fault
 * tests: it forwards every request to TARGET (the real main worker) unless told otherwise through
 * `GET /__fault?mode=<mode>` (answered with the mode and how many requests it has seen):
 * - `pass`: forward;
 * - `503`: answer 503, as a main worker that is overloaded or deploying;
 * - `throw`: throw, as a main worker with a bug (the caller sees the exception or a 500);
 * - `unreachable`: fail the fetch, as a binding whose peer is gone ("Network connection lost.").
 * Plain JavaScript: Miniflare loads it as-is. One isolate per worker under Miniflare, so module state is shared by
 * all requests.
 */

/** The proxy's worker name in the stack (the MAIN binding override points at it). */
export const FAULT_PROXY_NAME = 'gatehouse-fault-proxy';

/** What the proxy does with the next requests (see the module header). */
export type FaultMode = 'pass' | '503' | 'throw' | 'unreachable';

/** The proxy's ES module source. Binding: TARGET (the main worker). */
export const FAULT_PROXY_SCRIPT = `
let mode = 'pass';
let seen = 0;
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/__fault') {
      mode = url.searchParams.get('mode') ?? mode;
      return Response.json({ mode, seen });
    }
    seen++;
    if (mode === '503') return new Response('main worker unavailable', { status: 503 });
    if (mode === 'throw') throw new Error('main worker threw');
    if (mode === 'unreachable') throw new TypeError('Network connection lost.');
    return env.TARGET.fetch(request);
  },
};`;
