/**
 * The real stack for end-to-end tests, on loopback only: a throwaway local D1 (migrations applied with wrangler,
 * seeded with the admin CLI), both workers in ONE workerd process (packages/local-stack, as `pnpm dev` runs them)
 * with generated secrets and the development setting ALLOW_LOOPBACK_UPSTREAMS, and a second main-worker process on
 * the same D1 for the tests that prove MCP sessions across processes (its writes wait out the other process's lock
 * through the development entry, packages/integrations-adapters-cf/src/dev/busy-retry.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  applyMigrations,
  freePort,
  generateSecrets,
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from '@gatehouse/local-stack';
import { run } from './processes.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(REPO_ROOT, 'node_modules', '.bin');

/** The running end-to-end stack: URLs, tokens and sign-in of the seeded tenant, and its teardown. */
export interface Stack {
  mcpUrl: string;
  /** A second, separate main-worker process on the same D1 (sessions must work across processes). */
  mcpReplicaUrl: string;
  integrationsUrl: string;
  adminToken: string;
  memberToken: string;
  /** The demo admin's sign-in for the OAuth tests. */
  adminEmail: string;
  adminPassword: string;
  stateDir: string;
  stop(): Promise<void>;
}

async function gatehouse(stateDir: string, args: string[]): Promise<string> {
  return run(join(BIN, 'tsx'), [join(REPO_ROOT, 'scripts', 'gatehouse.mts'), ...args], {
    cwd: REPO_ROOT,
    env: { GATEHOUSE_PERSIST_TO: stateDir },
  });
}

/** Starts a local stack, again on new ports when a port chosen free was taken before workerd bound it (a race). */
async function startOnFreePorts(
  options: Omit<LocalStackOptions, 'ports'>,
  fixed: Partial<LocalStackOptions['ports']>,
): Promise<LocalStack> {
  for (let attempt = 1; ; attempt++) {
    const ports = { mcp: fixed.mcp ?? (await freePort()), integrations: fixed.integrations ?? (await freePort()) };
    try {
      return await startLocalStack({
        ...options,
        ports,
        vars: { mcp: { INTEGRATIONS_PUBLIC_URL: `http://127.0.0.1:${ports.integrations}` } },
      });
    } catch (err) {
      if (attempt >= 3 || !/address already in use|EADDRINUSE/i.test(String(err))) throw err;
    }
  }
}

/** Migrates and seeds a fresh state, then starts both workers and the replica; cleans up if anything fails. */
export async function startStack(): Promise<Stack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const started: LocalStack[] = [];
  try {
    await applyMigrations(stateDir);
    await gatehouse(stateDir, ['seed']);
    const admin = JSON.parse(
      await gatehouse(stateDir, [
        'token',
        'create',
        '--org',
        'demo',
        '--role',
        'ADMIN',
        '--name',
        'e2e-admin',
        '--json',
      ]),
    ) as { token: string };
    await gatehouse(stateDir, ['user', 'add', '--org', 'demo', '--email', 'member@demo.local', '--role', 'MEMBER']);
    const adminPassword = randomBytes(18).toString('base64url');
    await gatehouse(stateDir, ['user', 'set-password', '--email', 'admin@demo.local', `--password=${adminPassword}`]);
    const member = JSON.parse(
      await gatehouse(stateDir, [
        'token',
        'create',
        '--org',
        'demo',
        '--role',
        'MEMBER',
        '--user',
        'member@demo.local',
        '--name',
        'e2e-member',
        '--json',
      ]),
    ) as { token: string };

    const quiet = process.env.GATEHOUSE_STACK_LOGS === '1' ? {} : { workerLogs: () => undefined };
    const common = {
      persistTo: stateDir,
      buildDir: join(stateDir, 'build'),
      secrets: generateSecrets(),
      log: () => undefined,
      ...quiet,
    };
    const stack = await startOnFreePorts({ ...common, workers: ['mcp', 'integrations'] }, {});
    started.push(stack);
    const integrationsUrl = stack.urls.integrations!;
    const integrationsPort = Number(new URL(integrationsUrl).port);
    // The replica: the main worker alone in a second workerd process, reaching the same integrations worker.
    const replica = await startOnFreePorts(
      { ...common, buildDir: join(stateDir, 'build-replica'), workers: ['mcp'] },
      { integrations: integrationsPort },
    );
    started.push(replica);
    return {
      mcpUrl: `${stack.urls.mcp}/mcp`,
      mcpReplicaUrl: `${replica.urls.mcp}/mcp`,
      integrationsUrl,
      adminToken: admin.token,
      memberToken: member.token,
      adminEmail: 'admin@demo.local',
      adminPassword,
      stateDir,
      async stop() {
        await Promise.all(started.map((s) => s.dispose()));
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.dispose()));
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
