/**
 * Running the two workers under `wrangler dev` for `pnpm dev`: spawning with the shared local state, prefixing their
 * output, waiting until they answer HTTP, and checking ports up front so a second `pnpm dev` fails with a clear
 * message instead of a wrangler stack trace.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { CliError } from './cli-error.mts';
import { persistTo } from './repo-paths.mts';
import { spawnWrangler } from './wrangler-bin.mts';

/** Loopback only: the dev workers carry secrets and ALLOW_LOOPBACK_UPSTREAMS, nothing else should reach them. */
export const DEV_HOST = '127.0.0.1';

/** One worker to run. */
export interface DevWorker {
  /** Output prefix, e.g. `mcp` → `[mcp] …`. */
  label: string;
  /** The app directory holding wrangler.toml and .dev.vars. */
  appDir: string;
  port: number;
  /** Further `--var NAME:value` pairs for this worker. */
  vars?: Record<string, string>;
}

/** Copies each line of `from` to `to` with a `[label] ` prefix. */
export function prefixLines(from: Readable, label: string, to: Writable): void {
  const lines = createInterface({ input: from, crlfDelay: Infinity });
  lines.on('line', (line) => to.write(`[${label}] ${line}\n`));
}

/**
 * Starts `wrangler dev` for one app with the repo's shared state (`--persist-to`, so both workers and the CLI see one
 * AUTH_DB), loopback upstreams allowed (`--var ALLOW_LOOPBACK_UPSTREAMS:true`, the local fakes) and metrics off.
 * Wrangler flags: https://developers.cloudflare.com/workers/wrangler/commands/#dev
 */
export function startWorker(worker: DevWorker, output: { stdout: Writable; stderr: Writable }): ChildProcess {
  const child = spawnWrangler(
    [
      'dev',
      ...['--ip', DEV_HOST, '--port', String(worker.port)],
      ...['--persist-to', persistTo()],
      ...['--var', 'ALLOW_LOOPBACK_UPSTREAMS:true'],
      // DNS-rebinding protection for a server on a loopback address: only these Host values are answered.
      ...['--var', `ALLOWED_HOSTS:${DEV_HOST}:${worker.port},localhost:${worker.port}`],
      ...Object.entries(worker.vars ?? {}).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: worker.appDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Colours only when a person is watching: the output is piped through us either way.
      env: { FORCE_COLOR: process.stdout.isTTY && !process.env.NO_COLOR ? '1' : '0' },
    },
  );
  prefixLines(child.stdout!, worker.label, output.stdout);
  prefixLines(child.stderr!, worker.label, output.stderr);
  return child;
}

/** Fails with a CliError when something already listens on host:port. */
export async function assertPortFree(port: number, hint: string): Promise<void> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: DEV_HOST, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
  if (!free) throw new CliError(`port ${port} on ${DEV_HOST} is already in use (${hint}); stop that process first`);
}

/**
 * Resolves once `url` answers HTTP with any status (the worker is up; what it answers is its business). Rejects when
 * the child exits first or after `timeoutMs`.
 */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new CliError(`${url} did not come up: wrangler exited (see its output above)`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      return;
    } catch {
      await sleep(250);
    }
  }
  throw new CliError(`${url} did not answer within ${Math.round(timeoutMs / 1000)} s (see the wrangler output above)`);
}
