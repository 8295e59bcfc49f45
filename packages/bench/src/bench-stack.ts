/**
 * One Miniflare instance (one workerd process) running the built main and integrations workers next to the baseline
 * worker and the dispatch driver, all bound to the same throwaway, in-memory AUTH_DB with the real migrations applied.
 * The main worker's INTEGRATIONS binding reaches the real integrations worker (provider registry, provider tool
 * calls), and the integrations worker's MAIN binding the real main worker, as in the two wrangler.toml files.
 *
 * Why Miniflare and not `wrangler dev`: wrangler dev puts its own proxy worker and an extra HTTP hop in front of the
 * user worker, and that proxy dominates any per-request figure taken through it. `Miniflare#dispatchFetch` reaches
 * the worker through workerd's entry socket only.
 *
 * The workers are the bundles `wrangler deploy --dry-run --outdir dist` wrote (apps/mcp and apps/integrations
 * `build`): the exact code a deploy would upload, not the TypeScript sources. The dispatch queue has no consumer here:
 * the ingest rows measure the webhook route up to `Queue.send`, as the baseline's ingest does.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import type { createDb } from '@gatehouse/integrations-adapters-cf';
import { BASELINE_WORKER_NAME, BASELINE_WORKER_SCRIPT } from './baseline-worker.js';
import { DISPATCH_DRIVER_NAME, DISPATCH_DRIVER_SCRIPT, DISPATCH_ORIGIN } from './dispatch-driver.js';

/** The D1 binding as the adapters type it (the Workers `D1Database`), without naming the global type here. */
export type D1 = Parameters<typeof createDb>[0];

/** Name of the main worker inside the Miniflare instance. */
export const MCP_WORKER_NAME = 'gatehouse-mcp';
/** Host the main worker is routed by; any request URL on a host no worker is routed by reaches it (listed first). */
export const MCP_ORIGIN = 'https://mcp.bench.local';
/** Host the baseline worker is routed by. */
export const BASELINE_ORIGIN = 'https://baseline.bench.local';
/** Host the integrations worker is routed by. */
export const INTEGRATIONS_ORIGIN = 'https://integrations.bench.local';
/** The secret the baseline's POST /ingest verifies GitHub signatures with (the gateway's comes from its installation). */
export const BASELINE_WEBHOOK_SECRET = 'bench-baseline-webhook-secret';

const PACKAGE_ROOT = join(import.meta.dirname, '..');
/** apps/mcp's build output, reached through the workspace link in this package's node_modules. */
export const MCP_BUNDLE = join(PACKAGE_ROOT, 'node_modules', '@gatehouse', 'mcp', 'dist', 'index.js');
/** apps/integrations' build output. */
export const INTEGRATIONS_BUNDLE = join(PACKAGE_ROOT, 'node_modules', '@gatehouse', 'integrations', 'dist', 'index.js');
const MIGRATIONS_DIR = join(PACKAGE_ROOT, 'node_modules', '@gatehouse', 'integrations-adapters-cf', 'migrations');
/** Name of the integrations worker inside the Miniflare instance (its `name` in apps/integrations/wrangler.toml). */
const INTEGRATIONS_WORKER_NAME = 'gatehouse-integrations';
/** Same compatibility settings as apps/mcp/wrangler.toml and apps/integrations/wrangler.toml. */
export const COMPATIBILITY = {
  compatibilityDate: '2026-11-01',
  compatibilityFlags: ['nodejs_compat', 'global_fetch_strictly_public'],
};

/** Secrets generated per run: the main worker's config and the key the seed encrypts credentials with. */
export interface BenchSecrets {
  signingKey: string;
  credentialsKeys: string;
  activeKid: string;
}

/** The running stack; `dispose` stops workerd. */
export interface BenchStack {
  mf: Miniflare;
  d1: D1;
  secrets: BenchSecrets;
  dispose(): Promise<void>;
}

/** Where the baseline worker's `GET /upstream` sends its raw fetch, and with which Authorization header. */
export interface UpstreamTarget {
  issueUrl: string;
  authorization: string;
}

/**
 * Starts workerd with the workers and applies the migrations. Throws when a worker has not been built
 * (`pnpm --filter @gatehouse/mcp build`), which the `bench` script runs first.
 */
export async function startBenchStack(upstream: UpstreamTarget): Promise<BenchStack> {
  for (const [bundle, pkg] of [
    [MCP_BUNDLE, '@gatehouse/mcp'],
    [INTEGRATIONS_BUNDLE, '@gatehouse/integrations'],
  ] as const)
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing; run \`pnpm --filter ${pkg} build\` first`);
  const secrets: BenchSecrets = {
    signingKey: randomBytes(32).toString('hex'),
    credentialsKeys: JSON.stringify({ 'bench-1': randomBytes(32).toString('base64url') }),
    activeKid: 'bench-1',
  };
  const d1Databases = { AUTH_DB: 'bench-auth-db' };
  // The secrets both workers share (as in both wrangler.toml files' [secrets] required).
  const workerSecrets = {
    MCP_SIGNING_KEY: secrets.signingKey,
    CREDENTIALS_KEYS: secrets.credentialsKeys,
    CREDENTIALS_ACTIVE_KID: secrets.activeKid,
  };
  // Miniflare 5 takes only its own option shape; convertV4MiniflareOptions maps the documented v4 options onto it
  // (what wrangler 4.164 itself does for `d1 execute --local`).
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      logRequests: false,
      // BENCH_INSPECTOR_PORT=9229: workerd's V8 inspector, to take CPU profiles of the workers (DevTools or CDP).
      ...(process.env.BENCH_INSPECTOR_PORT ? { inspectorPort: Number(process.env.BENCH_INSPECTOR_PORT) } : {}),
      workers: [
        {
          name: MCP_WORKER_NAME,
          modules: true,
          scriptPath: MCP_BUNDLE,
          // Module names are paths relative to this root; without it workerd resolves them against the cwd and refuses
          // a bundle outside it ("can't use '..' to break out of starting directory").
          modulesRoot: dirname(MCP_BUNDLE),
          ...COMPATIBILITY,
          routes: [`${new URL(MCP_ORIGIN).host}/*`],
          d1Databases,
          // The main worker's other bindings, as in apps/mcp/wrangler.toml: OAuth grants (KV), run history (R2), the per-organization
          // notifier (Durable Object, from the bundle), and the real integrations worker (provider registry and
          // provider tool calls).
          kvNamespaces: ['OAUTH_KV'],
          // Run-history detail documents over 8 KB (apps/mcp/wrangler.toml's RUN_HISTORY bucket).
          r2Buckets: ['RUN_HISTORY'],
          durableObjects: { ORG_NOTIFIER: 'OrgNotifier' },
          // Agent runs (apps/mcp/wrangler.toml's AGENT_RUNS workflow, from the bundle).
          workflows: { AGENT_RUNS: { name: 'gatehouse-agent-runs', className: 'AgentRunWorkflow' } },
          serviceBindings: { INTEGRATIONS: INTEGRATIONS_WORKER_NAME },
          // Development setting: lets the jira-cloud installation reach the loopback upstream.
          bindings: { ...workerSecrets, ALLOW_LOOPBACK_UPSTREAMS: 'true' },
        },
        {
          name: INTEGRATIONS_WORKER_NAME,
          modules: true,
          scriptPath: INTEGRATIONS_BUNDLE,
          modulesRoot: dirname(INTEGRATIONS_BUNDLE),
          ...COMPATIBILITY,
          routes: [`${new URL(INTEGRATIONS_ORIGIN).host}/*`],
          d1Databases,
          queueProducers: { DISPATCH_QUEUE: 'bench-session-dispatch' },
          // Never called here: the dispatch queue has no consumer in the bench (the dispatch driver plays the sender).
          serviceBindings: { MAIN: MCP_WORKER_NAME },
          // Development setting: lets the GitHub installation's api_url reach the loopback GitHub.
          bindings: { ...workerSecrets, ALLOW_LOOPBACK_UPSTREAMS: 'true', PUBLIC_BASE_URL: INTEGRATIONS_ORIGIN },
        },
        {
          name: DISPATCH_DRIVER_NAME,
          modules: true,
          script: DISPATCH_DRIVER_SCRIPT,
          ...COMPATIBILITY,
          routes: [`${new URL(DISPATCH_ORIGIN).host}/*`],
          serviceBindings: { MAIN: MCP_WORKER_NAME },
          bindings: { MCP_SIGNING_KEY: secrets.signingKey },
        },
        {
          name: BASELINE_WORKER_NAME,
          modules: true,
          script: BASELINE_WORKER_SCRIPT,
          ...COMPATIBILITY,
          routes: [`${new URL(BASELINE_ORIGIN).host}/*`],
          d1Databases,
          queueProducers: { INGEST_QUEUE: 'bench-baseline-ingest' },
          bindings: {
            UPSTREAM_ISSUE_URL: upstream.issueUrl,
            UPSTREAM_AUTHORIZATION: upstream.authorization,
            WEBHOOK_SECRET: BASELINE_WEBHOOK_SECRET,
          },
        },
      ],
    }),
  );
  try {
    await mf.ready;
    // Miniflare's D1Database type is its own copy of the Workers one; the runtime object is the real binding.
    const d1 = (await mf.getD1Database('AUTH_DB', MCP_WORKER_NAME)) as unknown as D1;
    await applyMigrations(d1);
    return { mf, d1, secrets, dispose: () => mf.dispose() };
  } catch (err) {
    await mf.dispose();
    throw err;
  }
}

/** Applies packages/integrations-adapters-cf/migrations/*.sql in order (drizzle-kit's statement separator). */
async function applyMigrations(d1: D1): Promise<void> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  if (files.length === 0) throw new Error(`no migrations found in ${MIGRATIONS_DIR}`);
  for (const file of files) {
    const statements = readFileSync(join(MIGRATIONS_DIR, file), 'utf8')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean);
    await d1.batch(statements.map((sql) => d1.prepare(sql)));
  }
}
