/**
 * Opens the LOCAL AUTH_DB (and the run-history R2 bucket beside it) — the SQLite file `wrangler dev --persist-to <repo>/.wrangler/state` serves to both
 * workers — through Miniflare, the same way `wrangler d1 execute --local` does.
 *
 * Miniflare 5 (the version wrangler 4.164 bundles) no longer accepts v4 options such as `d1Persist` in its
 * constructor; wrangler itself passes `convertV4MiniflareOptions({ modules, script, resourcePersistencePath,
 * d1Databases })` (node_modules/wrangler/wrangler-dist/cli.js, `executeLocally`). We do the same, so the database id
 * hashes to the same file. The converted options leave the dev registry off, so this instance opens the file directly
 * and does not register itself with running `wrangler dev` sessions.
 */
import { readdirSync } from 'node:fs';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { createDb, withBusyRetry, type Db, type getRunHistoryItem } from './workspace-packages.mts';
import { CliError } from './cli-error.mts';
import { D1_BINDING, ROOT_WRANGLER_CONFIG, persistTo, resourcePersistencePath } from './repo-paths.mts';
import { readD1Entry } from './wrangler-toml.mts';

/** The R2 binding's shape as the adapters type it (the Workers `R2Bucket`). */
export type LocalR2 = NonNullable<Parameters<typeof getRunHistoryItem>[1]>;

const RUN_HISTORY_BINDING = 'RUN_HISTORY';
const RUN_HISTORY_BUCKET = 'gatehouse-run-history';

/** The D1 binding's shape as the adapters type it (the Workers `D1Database`), without naming the global type here. */
export type D1 = Parameters<typeof createDb>[0];

/**
 * Runs `fn` with a drizzle client (and the raw D1 binding) over the local AUTH_DB and always disposes Miniflare
 * afterwards (its workerd process would otherwise keep Node alive). Fails with a CliError when migrations are missing
 * or pending, before `fn` runs.
 */
export async function withLocalDb<T>(fn: (db: Db, d1: D1, runHistory: LocalR2) => Promise<T>): Promise<T> {
  const entry = readD1Entry(ROOT_WRANGLER_CONFIG, D1_BINDING);
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: 'export default {}',
      resourcePersistencePath: resourcePersistencePath(),
      d1Databases: { [D1_BINDING]: entry.localDatabaseId },
      // The main worker's run-history bucket (apps/mcp/wrangler.toml), stored locally under its bucket name.
      r2Buckets: { [RUN_HISTORY_BINDING]: RUN_HISTORY_BUCKET },
    }),
  );
  try {
    // Miniflare's D1Database type is its own copy of the Workers one; the runtime object is the real binding. This is
    // a second process on the file `pnpm dev` serves: its writes wait out that process's lock (and the workers' ours).
    const d1 = withBusyRetry((await mf.getD1Database(D1_BINDING)) as unknown as D1Database) as unknown as D1;
    await assertMigrated(d1, entry.migrationsDir);
    const bucket = (await mf.getR2Bucket(RUN_HISTORY_BINDING)) as unknown as LocalR2;
    return await fn(createDb(d1), d1, bucket);
  } finally {
    await mf.dispose();
  }
}

/**
 * Compares the migration files with the rows of `d1_migrations` (the table `wrangler d1 migrations apply` keeps;
 * https://developers.cloudflare.com/d1/reference/migrations/) and fails with the command to run when any is missing.
 */
async function assertMigrated(d1: D1, migrationsDir: string): Promise<void> {
  const files = readdirSync(migrationsDir)
    .filter((name) => name.endsWith('.sql'))
    .sort();
  const table = await d1
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'")
    .first();
  const applied = new Set<string>();
  if (table) {
    const { results } = await d1.prepare('SELECT name FROM d1_migrations').all<{ name: string }>();
    for (const row of results) applied.add(row.name);
  }
  const pending = files.filter((name) => !applied.has(name));
  if (pending.length > 0) {
    throw new CliError(
      `the local database under ${persistTo()} is missing ${pending.length} migration(s) (${pending.join(', ')}); run \`pnpm gatehouse migrate\` first`,
    );
  }
}
