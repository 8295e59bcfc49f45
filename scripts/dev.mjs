/**
 * `pnpm dev` — the whole local Gatehouse in one command:
 *   a. create apps/{mcp,integrations}/.dev.vars when missing (same random secrets in both; never printed)
 *   b. apply the AUTH_DB migrations to the local D1 (<repo>/.wrangler/state)
 *   c. seed the demo tenant and issue a fresh "pnpm dev" API token (earlier ones are revoked)
 *   d. serve both workers from ONE workerd process (packages/local-stack): the main worker on :8787 and the
 *      integrations worker on :8788, on one AUTH_DB, one dispatch queue and one Durable Object namespace, rebuilt and
 *      reloaded when a source file changes
 *   e. print the MCP URL, the token and ready-to-paste client configuration
 *
 * Flags: `--integrations-only` (`pnpm dev:integrations`) serves only the integrations worker and reaches a main
 * worker already listening on :8787 (`pnpm dev:mcp`, or any `wrangler dev` of apps/mcp) at that address; it issues
 * no token (it would revoke the one that worker's clients use). `--mcp-only` (`pnpm dev:mcp`) is the other half: the
 * main worker alone, reaching the integrations worker at :8788. Two processes on one SQLite file meet each other's
 * write lock; the development entries wait it out (packages/integrations-adapters-cf/src/dev/busy-retry.ts).
 * `--json` sends all human output to stderr and prints {mcpUrl, integrationsUrl, token} as the last stdout line.
 * Env GATEHOUSE_DEV_NO_SERVE=1 stops after step c (summary still printed); GATEHOUSE_PERSIST_TO moves the local state.
 * SIGINT/SIGTERM stop the stack.
 *
 * Runs under the Node that pnpm puts first on PATH (the root `node` devDependency, Node 24); the TypeScript helpers in
 * scripts/lib and packages/local-stack are loaded through tsx's scoped loader (https://tsx.is/dev-api/register-esm).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

const tsx = register({ namespace: 'gatehouse-dev' });
const lib = (path) => tsx.import(path, import.meta.url);
const [paths, errors, devVars, migrate, localDb, seed, ports, clientConfig, localStack] = await Promise.all([
  lib('./lib/repo-paths.mts'),
  lib('./lib/cli-error.mts'),
  lib('./lib/dev-vars.mts'),
  lib('./lib/migrate.mts'),
  lib('./lib/local-db.mts'),
  lib('./lib/seed.mts'),
  lib('./lib/dev-ports.mts'),
  lib('./lib/client-config.mts'),
  lib('@gatehouse/local-stack'),
]);

let options;
try {
  options = parseArgs({
    options: { 'integrations-only': { type: 'boolean' }, 'mcp-only': { type: 'boolean' }, json: { type: 'boolean' } },
    strict: true,
  }).values;
  if (options['integrations-only'] && options['mcp-only'])
    throw new Error('--integrations-only and --mcp-only exclude each other');
} catch (error) {
  process.stderr.write(`dev: ${error.message}\nusage: pnpm dev [--integrations-only | --mcp-only] [--json]\n`);
  process.exit(errors.EXIT_USAGE);
}
const integrationsOnly = options['integrations-only'] === true;
const mcpOnly = options['mcp-only'] === true;
const json = options.json === true;
const serve = process.env.GATEHOUSE_DEV_NO_SERVE !== '1';
/** Human output: stdout normally, stderr with --json so stdout carries only the final JSON line. */
const out = json ? process.stderr : process.stdout;
const say = (line) => out.write(`${line}\n`);

/** @type {('mcp' | 'integrations')[]} */
const toRun = integrationsOnly ? ['integrations'] : mcpOnly ? ['mcp'] : ['mcp', 'integrations'];
const portOf = { mcp: ports.MCP_PORT, integrations: ports.INTEGRATIONS_PORT };
const mcpUrl = `http://${ports.DEV_HOST}:${ports.MCP_PORT}/mcp`;
const integrationsUrl = `http://${ports.DEV_HOST}:${ports.INTEGRATIONS_PORT}`;

let stack = null;
let stopping = false;
let exitCode = 0;

try {
  if (serve) {
    for (const w of toRun)
      await ports.assertPortFree(portOf[w], `needed by the ${w} worker; is another \`pnpm dev\` running?`);
  }

  // a. secrets
  const report = devVars.ensureDevVars([
    join(paths.REPO_ROOT, 'apps', 'mcp'),
    join(paths.REPO_ROOT, 'apps', 'integrations'),
  ]);
  for (const file of report.created) say(`▸ created ${file} with fresh random secrets (values not shown)`);
  for (const warning of report.warnings) process.stderr.write(`dev: warning: ${warning}\n`);

  // b. migrations
  say(`▸ applying AUTH_DB migrations to ${paths.persistTo()}`);
  await migrate.applyLocalMigrations({ output: json ? 'stderr' : 'inherit' });

  // c. seed + token
  const { seeded, issued, signIn } = await localDb.withLocalDb(async (db) => ({
    seeded: await seed.seedDemo(db),
    issued: integrationsOnly ? null : await seed.rotateDevToken(db),
    signIn: integrationsOnly ? null : await seed.rotateDevPassword(db),
  }));
  const { organization: o, workspace: ws, user: u, agent: a } = seeded;
  say(
    `▸ seeded demo tenant (org ${o.slug} ${o.status}, workspace ${ws.slug} ${ws.status}, user ${u.email} ${u.status})`,
  );
  if (!a.enabled)
    say(
      `▸ example agent "${a.name}" is disabled until a model is set (README, "Agents"): update_agent with enabled true`,
    );
  if (issued) {
    const revoked = issued.revoked.length ? `, revoked ${issued.revoked.length} earlier one(s)` : '';
    say(`▸ issued API token "${issued.name}"${revoked}`);
  }

  const info = {
    mcpUrl: integrationsOnly ? null : mcpUrl,
    integrationsUrl,
    token: issued?.token ?? null,
    signIn,
    tokenScope: issued ? `${issued.user}, ${issued.role}, ${issued.organization}/${issued.workspace}` : undefined,
  };

  // d. one workerd process for the workers this run serves
  if (serve) {
    process.on('SIGINT', () => stop());
    process.on('SIGTERM', () => stop());
    say(`▸ starting ${toRun.map((w) => `${w} on ${ports.DEV_HOST}:${portOf[w]}`).join(' and ')} (one workerd process)`);
    if (integrationsOnly)
      say(`  reaching the main worker at ${ports.DEV_HOST}:${ports.MCP_PORT} (start it with \`pnpm dev:mcp\`)`);
    if (mcpOnly)
      say(
        `  reaching the integrations worker at ${ports.DEV_HOST}:${ports.INTEGRATIONS_PORT} (start it with \`pnpm dev:integrations\`)`,
      );
    stack = await localStack.startLocalStack({
      workers: toRun,
      ports: portOf,
      persistTo: paths.persistTo(),
      buildDir: join(paths.persistTo(), '..', 'dev-build'),
      // The main worker hands out webhook URLs of the integrations worker (install_integration with "webhooks": true),
      // and takes the agents' default model settings from this shell (README, "Agents"): never written to disk.
      vars: { mcp: { INTEGRATIONS_PUBLIC_URL: integrationsUrl, ...modelSettings() } },
      watch: true,
      logRequests: true,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    if (stopping) await stack.dispose();
  }

  say(clientConfig.renderConnectionSummary(info));
  if (json) process.stdout.write(`${JSON.stringify({ mcpUrl: info.mcpUrl, integrationsUrl, token: info.token })}\n`);
  if (serve) say('Press Ctrl-C to stop.');
} catch (error) {
  const known = error instanceof errors.CliError;
  process.stderr.write(`dev: ${known ? error.message : (error?.stack ?? String(error))}\n`);
  exitCode = known ? error.exitCode : 1;
  await stack?.dispose().catch(() => undefined);
  process.exit(exitCode);
}
if (!serve) process.exit(exitCode);

/** Stops the stack (workerd ends with it); a second signal exits at once. */
function stop() {
  if (stopping) process.exit(130);
  stopping = true;
  if (!stack) return;
  stack.dispose().then(
    () => process.exit(exitCode),
    () => process.exit(1),
  );
}

/** OPENAI_API_KEY, OPENAI_BASE_URL and ANTHROPIC_API_KEY of this shell, when set: the agents' default model. */
function modelSettings() {
  const names = ['OPENAI_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_API_KEY'];
  return Object.fromEntries(names.filter((n) => process.env[n]).map((n) => [n, process.env[n]]));
}
