/**
 * DEVELOPMENT ONLY: the entry the local stack (`pnpm dev`, `pnpm dev:integrations`; packages/local-stack) runs
 * instead of `src/index.ts`. It is the production worker with two changes to its bindings:
 * - AUTH_DB waits out the SQLite lock another local process holds on the same file
 *   (packages/integrations-adapters-cf/src/dev/busy-retry.ts);
 * - DISPATCH_QUEUE keeps its messages across restarts and reloads (dispatch-outbox.ts): Miniflare's queue lives in
 *   memory, Cloudflare's does not.
 * `wrangler deploy` builds `src/index.ts` (wrangler.toml `main`), so nothing here reaches Cloudflare;
 * packages/local-stack checks both bundles.
 */
import { withLockWaitingAuthDb } from '@gatehouse/integrations-adapters-cf/dev';
import IntegrationsWorker from '../index.js';
import type { DispatchMessage } from '../webhook-pipeline.js';
import { consumeRecorded, recordingQueue, resendOutbox } from './dispatch-outbox.js';

const devEnvs = new WeakMap<Env, Env>();
/** Each development env's underlying Miniflare queue (the outbox re-sends on it, not through the recording one). */
const realQueues = new WeakMap<Env, Queue<DispatchMessage>>();

/** The env with both development bindings; one per env object (plain wrappers, no I/O object kept). */
function devEnv(env: Env): Env {
  let dev = devEnvs.get(env);
  if (!dev) {
    const locked = withLockWaitingAuthDb(env);
    dev = { ...locked, DISPATCH_QUEUE: recordingQueue(env.DISPATCH_QUEUE, locked.AUTH_DB) };
    devEnvs.set(env, dev);
    realQueues.set(dev, env.DISPATCH_QUEUE);
  }
  return dev;
}

/** The production worker (HTTP, queue consumer, RPC methods) over the development bindings. */
export default class DevIntegrationsWorker extends IntegrationsWorker {
  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, devEnv(env));
  }

  override fetch(request: Request): Response | Promise<Response> {
    // The first request of a fresh process (the local stack sends one at start and after each reload) re-sends what
    // an earlier process left queued. `this.env` is the development env; the outbox re-sends on the real queue.
    this.ctx.waitUntil(
      resendOutbox(realQueues.get(this.env)!, this.env.AUTH_DB).catch((err: unknown) =>
        console.error(
          JSON.stringify({
            msg: 'dev: re-sending the dispatch outbox failed',
            error: err instanceof Error ? err.message : String(err),
          }),
        ),
      ),
    );
    return super.fetch(request);
  }

  override queue(batch: MessageBatch<DispatchMessage>): Promise<void> {
    return consumeRecorded(batch, this.env.AUTH_DB, (b) => super.queue(b));
  }
}
