/**
 * The real stack for end-to-end tests, on loopback only: a throwaway local D1 (migrations applied with wrangler,
 * seeded with the admin CLI), both workers under `wrangler dev` with generated secrets and the development setting
 * ALLOW_LOOPBACK_UPSTREAMS, and a private wrangler dev registry so the MAIN service binding resolves to this run's
 * main worker even when `pnpm dev` runs beside it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, run, start, stop, waitForHttp, type Started } from './processes.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..', '..');
const BIN = join(REPO_ROOT, 'node_modules', '.bin');

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

export async function startStack(): Promise<Stack> {
  const stateDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const env = {
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_REGISTRY_PATH: join(stateDir, 'registry'),
    CI: 'true',
    NO_COLOR: '1',
  };
  const secrets = join(stateDir, 'secrets.env');
  writeFileSync(
    secrets,
    [
      `MCP_SIGNING_KEY=${randomBytes(32).toString('hex')}`,
      `CREDENTIALS_KEYS={"e2e-1":"${randomBytes(32).toString('base64url')}"}`,
      'CREDENTIALS_ACTIVE_KID=e2e-1',
    ].join('\n'),
  );
  await run(join(BIN, 'wrangler'), ['d1', 'migrations', 'apply', 'AUTH_DB', '--local', '--persist-to', stateDir], { cwd: REPO_ROOT, env });
  await gatehouse(stateDir, ['seed']);
  const admin = JSON.parse(await gatehouse(stateDir, ['token', 'create', '--org', 'demo', '--role', 'ADMIN', '--name', 'e2e-admin', '--json'])) as { token: string };
  await gatehouse(stateDir, ['user', 'add', '--org', 'demo', '--email', 'member@demo.local', '--role', 'MEMBER']);
  const adminPassword = randomBytes(18).toString('base64url');
  await gatehouse(stateDir, ['user', 'set-password', '--email', 'admin@demo.local', `--password=${adminPassword}`]);
  const member = JSON.parse(
    await gatehouse(stateDir, ['token', 'create', '--org', 'demo', '--role', 'MEMBER', '--user', 'member@demo.local', '--name', 'e2e-member', '--json']),
  ) as { token: string };

  const started: Started[] = [];
  const worker = async (app: 'mcp' | 'integrations', name?: string): Promise<string> => {
    // Ports come from freePort() and are free when chosen, but another process can take one before wrangler binds it
    // (a race, not a bug): start again on new ports when that happens.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const p = start(
        app,
        join(BIN, 'wrangler'),
        [
          'dev',
          '--ip', '127.0.0.1',
          '--port', String(port),
          '--inspector-port', String(await freePort()),
          '--persist-to', stateDir,
          '--env-file', secrets,
          '--var', 'ALLOW_LOOPBACK_UPSTREAMS:true',
          '--var', `ALLOWED_HOSTS:127.0.0.1:${port},localhost:${port}`,
          '--show-interactive-dev-session=false',
          '--log-level', 'warn',
          ...(name ? ['--name', name] : []),
        ],
        { cwd: join(REPO_ROOT, 'apps', app), env },
      );
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitForHttp(`${url}/healthz`, p);
        started.push(p);
        return url;
      } catch (err) {
        await stop(p);
        if (attempt >= 3 || !/Address already in use/.test(String(err))) throw err;
      }
    }
  };
  try {
    const mcpBase = await worker('mcp');
    const integrationsUrl = await worker('integrations');
    // Its own name, so the dev registry keeps resolving the integrations worker's MAIN binding to the first one.
    const replicaBase = await worker('mcp', 'gatehouse-mcp-replica');
    return {
      mcpUrl: `${mcpBase}/mcp`,
      mcpReplicaUrl: `${replicaBase}/mcp`,
      integrationsUrl,
      adminToken: admin.token,
      memberToken: member.token,
      adminEmail: 'admin@demo.local',
      adminPassword,
      stateDir,
      async stop() {
        await Promise.all(started.map(stop));
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await Promise.all(started.map(stop));
    rmSync(stateDir, { recursive: true, force: true });
    throw err;
  }
}
