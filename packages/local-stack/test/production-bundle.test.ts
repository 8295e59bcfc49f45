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

/** Strings only development code holds: the lock wait's message test, the local queue outbox's table. */
const DEV_ONLY = {
  mcp: ['SQLITE_BUSY|SQLITE_LOCKED|database is locked'],
  integrations: ['SQLITE_BUSY|SQLITE_LOCKED|database is locked', 'dev_dispatch_outbox'],
};

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
  it('deploys without the development-only code, which only its development bundle carries', async () => {
    const production = productionBundle(app);
    const development = readFileSync(await buildDevBundle(app, join(out, `dev-${app}`)), 'utf8');
    for (const marker of DEV_ONLY[app]) {
      expect(production).not.toContain(marker);
      expect(development).toContain(marker);
    }
    // Nor the fault-injecting D1 of the tests (@gatehouse/integrations-adapters-cf/testing): its parameter name.
    expect(production).not.toContain('failWhen');
  });
});
