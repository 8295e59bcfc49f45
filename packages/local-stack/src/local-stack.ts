/**
 * The local Gatehouse stack: the main and integrations workers in ONE workerd process (one Miniflare instance) with
 * one AUTH_DB, one dispatch queue and one Durable Object namespace, each worker on its own loopback port.
 *
 * Why not `wrangler dev`: two `wrangler dev` processes on one SQLite file collide (SQLITE_BUSY, a 500 for every
 * webhook that meets the lock), and `wrangler dev -c a -c b` runs both in one process but serves only the first on a
 * port (workers-sdk#8406). Miniflare's multi-worker API runs both in one workerd and gives the second worker its own
 * socket (`unsafeDirectSockets`, the mechanism wrangler itself uses for its inspector and dev registry). Bindings
 * come from each wrangler.toml through wrangler's own `unstable_getMiniflareWorkerOptions`, the bundles from
 * wrangler's bundler (build.ts), so what runs is what `wrangler dev` would run. docs/adr/0006-one-process-local-stack.md.
 *
 * A worker that runs elsewhere (`pnpm dev:integrations` beside a main worker in another process) is reached through
 * an `external` service binding to its local address: every call opens a connection to that address, so a peer
 * that restarts is reached again as soon as it listens (no registry entry to go stale). The workers call each other
 * with Workers RPC, which crosses processes as Cap'n Proto over that connection: Miniflare marks external bindings
 * and direct sockets with the same CONNECT host, so in a split stack every worker listens on a direct socket (the
 * entry socket, which does not speak it, moves to an ephemeral port, and `logRequests` has nothing to log).
 */
import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import {
  Log,
  LogLevel,
  Miniflare,
  convertV4MiniflareOptions,
  type V4ServiceDesignator,
  type V4WorkerOptions,
} from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { REPO_ROOT, WORKERS, buildDevBundle, wranglerConfig, type StackWorker } from './build.js';

/** Loopback only: the local workers carry secrets and the development setting ALLOW_LOOPBACK_UPSTREAMS. */
export const LOCAL_HOST = '127.0.0.1';

/** What to run and where: workers, ports, state and build directories, secrets and vars. */
export interface LocalStackOptions {
  /** The workers this process runs, at least one; the first answers on Miniflare's entry socket. */
  workers: readonly StackWorker[];
  /** Port of each worker run here, and of each peer run elsewhere (reached at LOCAL_HOST:<port>). */
  ports: Record<StackWorker, number>;
  /** wrangler's `--persist-to` directory: D1, KV, queues and Durable Objects live under `<persistTo>/v3`. */
  persistTo: string;
  /** Where the development bundles are written. */
  buildDir: string;
  /** Secrets for both workers; when absent, each app's `.dev.vars` (read by wrangler) supplies them. */
  secrets?: Record<string, string>;
  /** Further vars per worker (they override wrangler.toml's `[vars]`). */
  vars?: Partial<Record<StackWorker, Record<string, string>>>;
  /** Rebuild and reload when a source file of the apps or packages changes. */
  watch?: boolean;
  /**
   * Tests only: more workers in the same process (e.g. a fault-injecting proxy), service bindings of ours pointed at
   * them by name, and changes to a worker's options once read from its wrangler.toml (e.g. a shorter retry budget).
   */
  extraWorkers?: V4WorkerOptions[];
  bindingOverrides?: Partial<Record<StackWorker, Record<string, string>>>;
  adjust?: (worker: StackWorker, options: V4WorkerOptions) => V4WorkerOptions;
  /** workerd's V8 inspector port (DevTools). */
  inspectorPort?: number;
  /** One line per request the main worker answers (as `wrangler dev` prints them); one-process stacks only. */
  logRequests?: boolean;
  /** Where the workers' console output goes (default: stdout, errors and warnings to stderr). */
  workerLogs?: (log: { level: string; message: string }) => void;
  /** Miniflare's own messages (start, reload, errors). */
  log?: (line: string) => void;
}

/** Miniflare's type of a D1 binding (its own copy of the Workers `D1Database`, so callers need no Workers types). */
export type LocalD1 = Awaited<ReturnType<Miniflare['getD1Database']>>;

/** A running stack: its URLs, its Miniflare, the AUTH_DB binding, reload and dispose. */
export interface LocalStack {
  /** `http://127.0.0.1:<port>` of each worker this process runs. */
  urls: Partial<Record<StackWorker, string>>;
  mf: Miniflare;
  /** The AUTH_DB binding, opened in this same workerd process (no second writer on the file). */
  d1(): Promise<LocalD1>;
  /** Rebuilds the bundles and reloads the workers (storage is kept). */
  reload(): Promise<void>;
  dispose(): Promise<void>;
}

class StackLog extends Log {
  constructor(private readonly sink: (line: string) => void) {
    super(LogLevel.INFO);
  }
  protected override log(message: string): void {
    this.sink(message);
  }
}

function printWorkerLog({ level, message }: { level: string; message: string }): void {
  (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${message}\n`);
}

/** Sources whose change means a rebuild (the apps and the packages they bundle). */
const WATCHED_DIRS = [
  'apps/mcp/src',
  'apps/integrations/src',
  'packages/integrations-core/src',
  'packages/integrations-adapters-cf/src',
  'packages/catalog/src',
];

/** Starts the stack and resolves once every worker run here answers on its port. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if (options.workers.length === 0) throw new Error('startLocalStack: name at least one worker to run');
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // A peer runs in another process: every worker here needs a socket that takes RPC (see the module header).
  const split = (Object.keys(WORKERS) as StackWorker[]).some((w) => !options.workers.includes(w));

  const miniflareOptions = async () => {
    const bundles = await Promise.all(options.workers.map((w) => buildDevBundle(w, join(options.buildDir, w))));
    return convertV4MiniflareOptions({
      host: LOCAL_HOST,
      port: split ? 0 : options.ports[options.workers[0]!],
      ...(options.inspectorPort ? { inspectorPort: options.inspectorPort } : {}),
      resourcePersistencePath: join(options.persistTo, 'v3'),
      // /cdn-cgi/local/scheduled (on the entry socket) runs the cron handler.
      unsafeTriggerHandlers: true,
      logRequests: options.logRequests ?? false,
      // Request.cf is a placeholder locally; the real one comes from a Cloudflare endpoint this machine may not reach.
      cf: false,
      log: new StackLog(log),
      handleStructuredLogs: options.workerLogs ?? printWorkerLog,
      workers: [
        ...options.workers.map((w, index) => {
          const opts = workerOptions(w, bundles[index]!, index === 0 && !split, options);
          return options.adjust ? options.adjust(w, opts) : opts;
        }),
        ...(options.extraWorkers ?? []),
      ],
    });
  };

  const mf = new Miniflare(await miniflareOptions());
  // A first request to the integrations worker of a fresh process: its development entry then re-sends the dispatches
  // an earlier process left queued (apps/integrations/src/dev/dispatch-outbox.ts).
  const wake = async () => {
    if (!options.workers.includes('integrations')) return;
    const res = await fetch(`http://${LOCAL_HOST}:${options.ports.integrations}/healthz`);
    await res.body?.cancel();
  };
  try {
    await mf.ready;
    await wake();
  } catch (err) {
    await mf.dispose().catch(() => undefined);
    throw err;
  }

  let watchers: FSWatcher[] = [];
  let reloading: Promise<void> | null = null;
  let again = false;
  const reload = async (): Promise<void> => {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      do {
        again = false;
        try {
          await mf.setOptions(await miniflareOptions());
          await wake();
          log('⎔ reloaded');
        } catch (err) {
          log(
            `⎔ reload failed; still serving the previous build:\n${err instanceof Error ? err.message : String(err)}`,
          );
        }
      } while (again);
    })().finally(() => (reloading = null));
    return reloading;
  };
  let timer: NodeJS.Timeout | undefined;
  if (options.watch) {
    const changed = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), 200);
    };
    watchers = WATCHED_DIRS.map((dir) => watch(join(REPO_ROOT, dir), { recursive: true }, changed));
  }

  const urls: Partial<Record<StackWorker, string>> = {};
  for (const w of options.workers) urls[w] = `http://${LOCAL_HOST}:${options.ports[w]}`;
  return {
    urls,
    mf,
    d1: () => mf.getD1Database('AUTH_DB', WORKERS[options.workers[0]!].name),
    reload,
    async dispose() {
      for (const w of watchers) w.close();
      clearTimeout(timer);
      await reloading;
      await mf.dispose();
    },
  };
}

/**
 * wrangler's reading of the worker's wrangler.toml (and `.dev.vars`). With the secrets given explicitly, its warning
 * that `.dev.vars` lacks them is wrong, so its log level is raised to errors for the call (WRANGLER_LOG).
 */
function readWorkerOptions(worker: StackWorker, secretsGiven: boolean) {
  const before = process.env.WRANGLER_LOG;
  if (secretsGiven) process.env.WRANGLER_LOG = 'error';
  try {
    return unstable_getMiniflareWorkerOptions(wranglerConfig(worker)).workerOptions;
  } finally {
    if (before === undefined) delete process.env.WRANGLER_LOG;
    else process.env.WRANGLER_LOG = before;
  }
}

/**
 * One worker's Miniflare options: its wrangler.toml bindings, the dev bundle, its port, and its peers. `entry`: it
 * answers on Miniflare's entry socket; else on a direct socket of its own.
 */
function workerOptions(
  worker: StackWorker,
  bundle: string,
  entry: boolean,
  options: LocalStackOptions,
): V4WorkerOptions {
  // The bundle is one module (wrangler inlined every import), so wrangler's module rules have nothing to match.
  const { modulesRules: _rules, ...fromConfig } = readWorkerOptions(worker, options.secrets !== undefined);
  const serviceBindings: Record<string, V4ServiceDesignator> = {};
  for (const [binding, target] of Object.entries(fromConfig.serviceBindings ?? {})) {
    const name = typeof target === 'string' ? target : (target as { name?: string }).name;
    const peer = (Object.keys(WORKERS) as StackWorker[]).find((w) => WORKERS[w].name === name);
    if (!peer)
      throw new Error(`${worker}: service binding ${binding} names ${String(name)}, not a worker of this repository`);
    const override = options.bindingOverrides?.[worker]?.[binding];
    if (override) {
      serviceBindings[binding] = override;
      continue;
    }
    serviceBindings[binding] = options.workers.includes(peer)
      ? WORKERS[peer].name
      : // Miniflare adds the Cap'n Proto CONNECT host to `http`, so RPC calls reach the peer's direct socket.
        { external: { address: `${LOCAL_HOST}:${options.ports[peer]}`, http: {} } };
  }
  const port = options.ports[worker];
  return {
    ...fromConfig,
    name: WORKERS[worker].name,
    modules: true,
    scriptPath: bundle,
    // Module names are relative to this root (workerd refuses paths that leave the starting directory).
    modulesRoot: join(bundle, '..'),
    serviceBindings,
    bindings: {
      ...(fromConfig.bindings as Record<string, string> | undefined),
      ...options.secrets,
      // The development setting: integration tools may call loopback upstreams (the local fakes).
      ALLOW_LOOPBACK_UPSTREAMS: 'true',
      // DNS-rebinding protection for a server on a loopback address: only these Host values are answered.
      ...(worker === 'mcp' ? { ALLOWED_HOSTS: `${LOCAL_HOST}:${port},localhost:${port}` } : {}),
      ...options.vars?.[worker],
    },
    ...(entry ? {} : { unsafeDirectSockets: [{ host: LOCAL_HOST, port }] }),
  };
}
