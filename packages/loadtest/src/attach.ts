/**
 * The local D1 of a running `pnpm dev`, opened from this process through Miniflare the way `wrangler d1 execute
 * --local` opens it (same database id, so the same SQLite file under `<persistTo>/v3`). This is a second process on
 * that file: every statement waits out the dev process's write lock (withBusyRetry), and the dev process's workers
 * wait out ours.
 */
import { join } from 'node:path';
import { Miniflare, convertV4MiniflareOptions } from 'miniflare';
import { withBusyRetry } from '@gatehouse/integrations-adapters-cf/dev';

/** The AUTH_DB database id of every wrangler.toml in the repository. */
export const AUTH_DB_ID = '6f1d9a52-3c1e-4b7a-9d0e-2a7c5e8b4f10';

/** Opens the local AUTH_DB under `persistTo` (wrangler's `--persist-to`); `close()` ends the workerd it started. */
export async function openLocalD1(persistTo: string): Promise<{ d1: D1Database; close(): Promise<void> }> {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: 'export default {}',
      resourcePersistencePath: join(persistTo, 'v3'),
      d1Databases: { AUTH_DB: AUTH_DB_ID },
    }),
  );
  const d1 = withBusyRetry((await mf.getD1Database('AUTH_DB')) as unknown as D1Database);
  return { d1, close: () => mf.dispose() };
}
