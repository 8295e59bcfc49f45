/**
 * DEVELOPMENT ONLY: the entry the local stack (`pnpm dev`, packages/local-stack) runs instead of `src/index.ts`.
 * It is the production worker with one change to its bindings: AUTH_DB waits out the SQLite lock another local
 * process holds on the same file (packages/integrations-adapters-cf/src/dev/busy-retry.ts). `wrangler deploy` builds
 * `src/index.ts` (wrangler.toml `main`), so nothing here reaches Cloudflare; packages/local-stack checks both bundles.
 */
import { withLockWaitingAuthDb as devEnv } from '@gatehouse/integrations-adapters-cf/dev';
import McpWorker, {
  AgentRunWorkflow as ProductionAgentRunWorkflow,
  OrgNotifier as ProductionOrgNotifier,
} from '../index.js';

export class OrgNotifier extends ProductionOrgNotifier {
  constructor(state: DurableObjectState, env: Env) {
    super(state, devEnv(env));
  }
}

export class AgentRunWorkflow extends ProductionAgentRunWorkflow {
  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, devEnv(env));
  }
}

/** The production worker (HTTP, cron, RPC) over the development bindings. */
export default class DevMcpWorker extends McpWorker {
  constructor(ctx: ExecutionContext, env: Env) {
    super(ctx, devEnv(env));
  }
}
