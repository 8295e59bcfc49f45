/**
 * Paths shared by the admin CLI (`pnpm gatehouse`) and `pnpm dev`. Everything is absolute, so the scripts behave the
 * same from any working directory.
 */
import { join, resolve } from 'node:path';

/** The monorepo root (this file lives in scripts/lib/). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** The top-level wrangler config that owns AUTH_DB and its migrations folder (see its header comment). */
export const ROOT_WRANGLER_CONFIG = join(REPO_ROOT, 'wrangler.toml');

/** Binding name of the shared D1 database in every wrangler config of the repo. */
export const D1_BINDING = 'AUTH_DB';

/**
 * The `--persist-to` directory every local wrangler command uses: `<repo>/.wrangler/state` unless the environment
 * variable GATEHOUSE_PERSIST_TO names another directory (relative to the current directory), which lets tests run
 * against a throwaway copy of the state.
 */
export function persistTo(): string {
  const override = process.env.GATEHOUSE_PERSIST_TO;
  return override ? resolve(override) : join(REPO_ROOT, '.wrangler', 'state');
}

/**
 * Miniflare's `resourcePersistencePath` for a wrangler `--persist-to` directory. Wrangler 4 appends `v3` and Miniflare
 * then keeps D1 at `<that>/d1/miniflare-D1DatabaseObject/<hash of the database id>.sqlite`. Source:
 * node_modules/wrangler/wrangler-dist/cli.js, `getDefaultPersistRoot()` (wrangler dev) and `executeLocally()`
 * (wrangler d1 execute / migrations apply), both `path.join(persistTo, "v3")`.
 */
export function resourcePersistencePath(): string {
  return join(persistTo(), 'v3');
}

/**
 * The app directories whose `.dev.vars` hold the local secrets (both workers must agree). GATEHOUSE_DEV_VARS_DIRS
 * (comma-separated) replaces them, so tests can rotate keys without touching the repository's own files.
 */
export function devVarsDirs(): string[] {
  const override = process.env.GATEHOUSE_DEV_VARS_DIRS;
  if (override) return override.split(',').map((d) => resolve(d.trim()));
  return [join(REPO_ROOT, 'apps', 'mcp'), join(REPO_ROOT, 'apps', 'integrations')];
}
