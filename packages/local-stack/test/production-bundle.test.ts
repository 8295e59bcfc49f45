/**
 * The development entries (apps/<app>/src/dev/dev-entry.ts) add the SQLite lock wait; the bundles `wrangler deploy`
 * uploads must not contain it. Both bundles are built here exactly as a deploy builds them (`wrangler deploy
 * --dry-run`, wrangler.toml's `main`), and the development bundles as the local stack builds them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, buildDevBundle, type StackWorker } from '../src/index.js';

/** A string only the lock-wait module holds (its message test), to find it in a bundle. */
const DEV_ONLY = 'SQLITE_BUSY|SQLITE_LOCKED|database is locked';

const out = mkdtempSync(join(tmpdir(), 'gatehouse-bundles-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function productionBundle(app: StackWorker): string {
  const wrangler = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');
  const dir = join(out, `prod-${app}`);
  const r = spawnSync(process.execPath, [wrangler, 'deploy', '--dry-run', '--outdir', dir], {
    cwd: join(REPO_ROOT, 'apps', app),
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    encoding: 'utf8',
  });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(join(dir, 'index.js'), 'utf8');
}

describe.each(['mcp', 'integrations'] as const)('the %s worker', (app) => {
  it('deploys without the development lock wait, which only its development bundle carries', async () => {
    expect(productionBundle(app)).not.toContain(DEV_ONLY);
    expect(readFileSync(await buildDevBundle(app, join(out, `dev-${app}`)), 'utf8')).toContain(DEV_ONLY);
  });
});
