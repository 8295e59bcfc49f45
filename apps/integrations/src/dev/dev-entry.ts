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
import worker from '../index.js';
import type { DispatchMessage } from '../webhook-pipeline.js';
import { consumeRecorded, recordingQueue, resendOutbox } from './dispatch-outbox.js';

const devEnvs = new WeakMap<Env, Env>();

/** The env with both development bindings; one per env object (plain wrappers, no I/O object kept). */
function devEnv(env: Env): Env {
  let dev = devEnvs.get(env);
  if (!dev) {
    const locked = withLockWaitingAuthDb(env);
    dev = { ...locked, DISPATCH_QUEUE: recordingQueue(env.DISPATCH_QUEUE, locked.AUTH_DB) };
    devEnvs.set(env, dev);
  }
  return dev;
}

export default {
  fetch(request, env, ctx) {
    const dev = devEnv(env);
    // The first request of a fresh process (the local stack sends one at start and after each reload) re-sends what
    // an earlier process left queued.
    ctx.waitUntil(
      resendOutbox(env.DISPATCH_QUEUE, dev.AUTH_DB).catch((err: unknown) =>
        console.error(
          JSON.stringify({
            msg: 'dev: re-sending the dispatch outbox failed',
            error: err instanceof Error ? err.message : String(err),
          }),
        ),
      ),
    );
    return worker.fetch(request, dev, ctx);
  },
  queue: (batch, env) => consumeRecorded(batch, devEnv(env).AUTH_DB, (b) => worker.queue(b, devEnv(env))),
} satisfies ExportedHandler<Env, DispatchMessage>;
