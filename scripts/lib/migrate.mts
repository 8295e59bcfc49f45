/**
 * Applies the AUTH_DB migrations to the local database with wrangler, exactly as documented for local development:
 * `wrangler d1 migrations apply AUTH_DB --local --persist-to <repo>/.wrangler/state`, using the root wrangler.toml
 * (which owns `migrations_dir`). https://developers.cloudflare.com/d1/reference/migrations/#apply-migrations
 */
import { CliError } from './cli-error.mts';
import { D1_BINDING, REPO_ROOT, ROOT_WRANGLER_CONFIG, persistTo } from './repo-paths.mts';
import { exitCode, spawnWrangler } from './wrangler-bin.mts';

/**
 * Runs the migration; wrangler's own progress output goes to our stdout (`'inherit'`) or to stderr (`'stderr'`, for
 * `--json` callers whose stdout must stay machine-readable). Throws a CliError when wrangler fails.
 */
export async function applyLocalMigrations(options: { output: 'inherit' | 'stderr' }): Promise<{ persistTo: string }> {
  const dir = persistTo();
  const child = spawnWrangler(
    ['d1', 'migrations', 'apply', D1_BINDING, '--local', '--persist-to', dir, '--config', ROOT_WRANGLER_CONFIG],
    { cwd: REPO_ROOT, stdio: ['ignore', options.output === 'inherit' ? 'inherit' : process.stderr, 'inherit'] },
  );
  const code = await exitCode(child);
  if (code !== 0)
    throw new CliError(`wrangler d1 migrations apply failed with exit code ${code}; see its output above`);
  return { persistTo: dir };
}
