#!/usr/bin/env node
/**
 * `pnpm dev` — the whole local Gatehouse in one command:
 *   a. create apps/{mcp,integrations}/.dev.vars when missing (same random secrets in both; never printed)
 *   b. apply the AUTH_DB migrations to the local D1 (<repo>/.wrangler/state)
 *   c. seed the demo tenant and issue a fresh "pnpm dev" API token (earlier ones are revoked)
 *   d. run `wrangler dev` for apps/mcp (:8787) and apps/integrations (:8788) on that same state
 *   e. once both answer HTTP, print the MCP URL, the token and ready-to-paste client config
 *
 * Flags: `--integrations-only` (`pnpm dev:integrations`) runs only the integrations worker, which reaches an already
 * running main worker through wrangler's dev registry, and issues no token (it would revoke the one that worker's
 * clients use). `--json` sends all human output to stderr and prints {mcpUrl, integrationsUrl, token} as the last
 * stdout line. Env GATEHOUSE_DEV_NO_SERVE=1 stops after step c (summary still printed); GATEHOUSE_PERSIST_TO moves
 * the local state. SIGINT/SIGTERM are forwarded to the workers; when either worker exits the other is stopped.
 *
 * Runs under the Node that pnpm puts first on PATH (the root `node` devDependency, Node 24); the TypeScript helpers in
 * scripts/lib are loaded through tsx's scoped loader (https://tsx.is/dev-api/register-esm).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { register } from 'tsx/esm/api';

const MCP_PORT = 8787;
const INTEGRATIONS_PORT = 8788;
/** How long workers get to stop after a forwarded signal before they are killed. */
const STOP_GRACE_MS = 10_000;

const tsx = register({ namespace: 'gatehouse-dev' });
const lib = (path) => tsx.import(path, import.meta.url);
const [paths, errors, devVars, migrate, localDb, seed, workers, clientConfig] = await Promise.all([
  lib('./lib/repo-paths.mts'),
  lib('./lib/cli-error.mts'),
  lib('./lib/dev-vars.mts'),
  lib('./lib/migrate.mts'),
  lib('./lib/local-db.mts'),
  lib('./lib/seed.mts'),
  lib('./lib/worker-processes.mts'),
  lib('./lib/client-config.mts'),
]);

let options;
try {
  options = parseArgs({ options: { 'integrations-only': { type: 'boolean' }, json: { type: 'boolean' } }, strict: true }).values;
} catch (error) {
  process.stderr.write(`dev: ${error.message}\nusage: pnpm dev [--integrations-only] [--json]\n`);
  process.exit(errors.EXIT_USAGE);
}
const integrationsOnly = options['integrations-only'] === true;
const json = options.json === true;
const serve = process.env.GATEHOUSE_DEV_NO_SERVE !== '1';
/** Human output: stdout normally, stderr with --json so stdout carries only the final JSON line. */
const out = json ? process.stderr : process.stdout;
const say = (line) => out.write(`${line}\n`);

// The main worker hands out webhook URLs of the integrations worker (install_integration with "webhooks": true).
const mcp = { label: 'mcp', appDir: join(paths.REPO_ROOT, 'apps', 'mcp'), port: MCP_PORT, vars: { INTEGRATIONS_PUBLIC_URL: `http://${workers.DEV_HOST}:${INTEGRATIONS_PORT}` } };
const integrations = { label: 'integrations', appDir: join(paths.REPO_ROOT, 'apps', 'integrations'), port: INTEGRATIONS_PORT };
const toRun = integrationsOnly ? [integrations] : [mcp, integrations];
const mcpUrl = `http://${workers.DEV_HOST}:${MCP_PORT}/mcp`;
const integrationsUrl = `http://${workers.DEV_HOST}:${INTEGRATIONS_PORT}`;

/** @type {Map<string, import('node:child_process').ChildProcess>} */
const children = new Map();
let stopping = false;
let exitCode = 0;

try {
  if (serve) {
    for (const w of toRun) await workers.assertPortFree(w.port, `needed by the ${w.label} worker; is another \`pnpm dev\` running?`);
  }

  // a. secrets
  const report = devVars.ensureDevVars([mcp.appDir, integrations.appDir]);
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
  const { organization: o, workspace: ws, user: u } = seeded;
  say(`▸ seeded demo tenant (org ${o.slug} ${o.status}, workspace ${ws.slug} ${ws.status}, user ${u.email} ${u.status})`);
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

  // d. workers
  if (serve) {
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
    // One after the other: two wrangler processes starting at once both pick the default inspector port 9229 (its
    // free-port probe races) and the second fails with "Address already in use"; started in turn, the second one
    // finds 9229 taken and moves on. It also lets the integrations worker find the main one in the dev registry.
    for (const w of toRun) {
      if (stopping) break;
      say(`▸ starting ${w.label} worker on ${workers.DEV_HOST}:${w.port}`);
      const child = workers.startWorker(w, { stdout: out, stderr: process.stderr });
      children.set(w.label, child);
      child.once('exit', (code, signal) => onChildExit(w.label, code, signal));
      // e. wait until it answers; after the loop both do
      await workers.waitForHttp(`http://${workers.DEV_HOST}:${w.port}/`, child);
    }
  }

  say(clientConfig.renderConnectionSummary(info));
  if (json) process.stdout.write(`${JSON.stringify({ mcpUrl: info.mcpUrl, integrationsUrl, token: info.token })}\n`);
  if (serve) say('Press Ctrl-C to stop.');
} catch (error) {
  if (!stopping) {
    const known = error instanceof errors.CliError;
    process.stderr.write(`dev: ${known ? error.message : (error?.stack ?? String(error))}\n`);
    exitCode = known ? error.exitCode : 1;
    stop('SIGTERM');
  }
}
if (children.size === 0) process.exit(exitCode);

/** Forwards a signal to the workers still running; a second Ctrl-C, or the grace period running out, kills them. */
function stop(signal) {
  const force = stopping && signal === 'SIGINT';
  stopping = true;
  for (const child of children.values()) child.kill(force ? 'SIGKILL' : signal);
  if (children.size === 0) process.exit(exitCode);
  setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  }, STOP_GRACE_MS).unref();
}

/** A worker exited: if nobody asked for it, stop the other one and exit non-zero. */
function onChildExit(label, code, signal) {
  children.delete(label);
  if (!stopping) {
    process.stderr.write(`dev: the ${label} worker exited (${signal ?? `code ${code}`}); stopping\n`);
    exitCode = code || 1;
    stop('SIGTERM');
  }
  if (children.size === 0) process.exit(exitCode);
}
