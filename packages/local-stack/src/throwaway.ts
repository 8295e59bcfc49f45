/**
 * A throwaway stack for tests and the load run: a fresh state directory with the real migrations applied (by
 * wrangler, as `pnpm dev` applies them), generated secrets, free loopback ports, both workers in one workerd process.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT, type StackWorker } from './build.js';
import { LOCAL_HOST, startLocalStack, type LocalStack, type LocalStackOptions } from './local-stack.js';

/** A TCP port on 127.0.0.1 that was free when asked (another process may take it before it is bound). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, LOCAL_HOST);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The three secrets both workers need, fresh: the dispatch signing key and one credentials key. */
export function generateSecrets(): Record<string, string> {
  return {
    MCP_SIGNING_KEY: randomBytes(32).toString('hex'),
    CREDENTIALS_KEYS: JSON.stringify({ 'local-1': randomBytes(32).toString('base64url') }),
    CREDENTIALS_ACTIVE_KID: 'local-1',
  };
}

/**
 * `wrangler d1 migrations apply AUTH_DB --local --persist-to <dir>` with the root wrangler.toml, which owns the
 * migrations folder (https://developers.cloudflare.com/d1/reference/migrations/#apply-migrations).
 */
export async function applyMigrations(persistTo: string): Promise<void> {
  const wrangler = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');
  const child = spawn(
    process.execPath,
    [
      wrangler,
      'd1',
      'migrations',
      'apply',
      'AUTH_DB',
      '--local',
      '--persist-to',
      persistTo,
      '--config',
      join(REPO_ROOT, 'wrangler.toml'),
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1' },
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`applying the migrations failed (wrangler exited ${code}):\n${output}`);
}

/** A local stack on a fresh state directory, with the secrets and ports it was given. */
export interface ThrowawayStack extends LocalStack {
  stateDir: string;
  secrets: Record<string, string>;
  ports: Record<StackWorker, number>;
}

/** Starts both workers on a fresh state; `dispose()` also removes the state directory. */
export async function startThrowawayStack(
  options: Partial<
    Pick<LocalStackOptions, 'vars' | 'log' | 'workerLogs' | 'workers' | 'extraWorkers' | 'bindingOverrides' | 'adjust'>
  > = {},
): Promise<ThrowawayStack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'gatehouse-stack-'));
  const secrets = generateSecrets();
  try {
    await applyMigrations(join(stateDir, 'state'));
    // Ports are free when chosen; another process can take one before workerd binds it. Start again on new ones then.
    for (let attempt = 1; ; attempt++) {
      const ports = { mcp: await freePort(), integrations: await freePort() };
      try {
        const stack = await startLocalStack({
          workers: options.workers ?? ['mcp', 'integrations'],
          ports,
          persistTo: join(stateDir, 'state'),
          buildDir: join(stateDir, 'build'),
          secrets,
          ...(options.extraWorkers ? { extraWorkers: options.extraWorkers } : {}),
          ...(options.bindingOverrides ? { bindingOverrides: options.bindingOverrides } : {}),
          ...(options.adjust ? { adjust: options.adjust } : {}),
          vars: {
            ...options.vars,
            mcp: { INTEGRATIONS_PUBLIC_URL: `http://${LOCAL_HOST}:${ports.integrations}`, ...options.vars?.mcp },
          },
          log: options.log ?? (() => undefined),
          // Quiet unless asked (GATEHOUSE_STACK_LOGS=1): fault runs log every retry by design.
          workerLogs: options.workerLogs ?? (process.env.GATEHOUSE_STACK_LOGS === '1' ? undefined : () => undefined),
        });
        return {
          ...stack,
          stateDir,
          secrets,
          ports,
          async dispose() {
            await stack.dispose();
            rmSync(stateDir, { recursive: true, force: true });
          },
        };
      } catch (err) {
        if (attempt >= 3 || !/address already in use|EADDRINUSE/i.test(String(err))) throw err;
      }
    }
  } catch (err) {
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
