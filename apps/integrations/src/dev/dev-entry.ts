/**
 * DEVELOPMENT ONLY: the entry the local stack (`pnpm dev`, `pnpm dev:integrations`; packages/local-stack) runs
 * instead of `src/index.ts`. It is the production worker with one change to its bindings: AUTH_DB waits out the
 * SQLite lock another local process holds on the same file (packages/integrations-adapters-cf/src/dev/busy-retry.ts).
 * `wrangler deploy` builds `src/index.ts` (wrangler.toml `main`), so nothing here reaches Cloudflare;
 * packages/local-stack checks both bundles.
 */
import { withLockWaitingAuthDb as devEnv } from '@gatehouse/integrations-adapters-cf/dev';
import worker from '../index.js';
import type { DispatchMessage } from '../webhook-pipeline.js';

export default {
  fetch: (request, env, ctx) => worker.fetch(request, devEnv(env), ctx),
  queue: (batch, env) => worker.queue(batch, devEnv(env)),
} satisfies ExportedHandler<Env, DispatchMessage>;
