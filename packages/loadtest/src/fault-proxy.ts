/**
 * A fault-injecting stand-in between the integrations worker's MAIN binding and the main worker, for the fault
 * tests. It is a WorkerEntrypoint with the main worker's RPC method (`deliverSessionDispatch`, MainRpc in
 * packages/integrations-core), forwarded to TARGET (the real main worker) unless told otherwise through
 * `GET /__fault?mode=<mode>` (answered with the mode and how many calls it has seen):
 * - `pass`: forward;
 * - `overloaded`: throw as an overloaded or deploying main worker does ("Worker exceeded resource limits");
 * - `throw`: throw, as a main worker with a bug (its rpcBoundary rethrows a generic error);
 * - `unreachable`: throw as a binding whose peer is gone does ("Network connection lost.");
 * - `lost_answer`: forward, then throw as if the connection dropped before the answer came back (the dispatch is
 *   stored, the sender does not know: its retry must not store it twice).
 * Plain JavaScript: Miniflare loads it as-is. One isolate per worker under Miniflare, so module state is shared by
 * all calls.
 */

/** The proxy's worker name in the stack (the MAIN binding override points at it). */
export const FAULT_PROXY_NAME = 'gatehouse-fault-proxy';

/** What the proxy does with the next calls (see the module header). */
export type FaultMode = 'pass' | 'overloaded' | 'throw' | 'unreachable' | 'lost_answer';

/** The proxy's ES module source. Binding: TARGET (the main worker). */
export const FAULT_PROXY_SCRIPT = `
import { WorkerEntrypoint } from 'cloudflare:workers';
let mode = 'pass';
let seen = 0;
export default class extends WorkerEntrypoint {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== '/__fault') return new Response('not found', { status: 404 });
    mode = url.searchParams.get('mode') ?? mode;
    return Response.json({ mode, seen });
  }
  async deliverSessionDispatch(message) {
    seen++;
    if (mode === 'overloaded') throw new Error('Worker exceeded resource limits');
    if (mode === 'throw') throw new Error('deliverSessionDispatch failed in the other worker; it was logged there');
    if (mode === 'unreachable') throw new TypeError('Network connection lost.');
    const answer = await this.env.TARGET.deliverSessionDispatch(message);
    if (mode === 'lost_answer') throw new TypeError('Network connection lost.');
    return answer;
  }
}`;
