/**
 * Bundles a worker's development entry (`apps/<app>/src/dev/dev-entry.ts`) with wrangler's own bundler, exactly as
 * `wrangler deploy` would bundle the production entry (same esbuild options, nodejs_compat polyfills, module rules):
 * `wrangler deploy --dry-run --outdir <dir> <entry>` (https://developers.cloudflare.com/workers/wrangler/commands/#deploy).
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The two workers of the repository, by the name their wrangler.toml gives. */
export const WORKERS = {
  mcp: { name: 'gatehouse-mcp', app: 'mcp' },
  integrations: { name: 'gatehouse-integrations', app: 'integrations' },
} as const;

/** `mcp` or `integrations`: a worker of this repository. */
export type StackWorker = keyof typeof WORKERS;

/** The monorepo root (this file is packages/local-stack/src/build.ts). */
export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');

/** The development entry every local run uses instead of wrangler.toml's `main`. */
export const DEV_ENTRY = join('src', 'dev', 'dev-entry.ts');

/** `apps/<app>` of a worker: its wrangler.toml, `.dev.vars` and sources. */
export function appDir(worker: StackWorker): string {
  return join(REPO_ROOT, 'apps', WORKERS[worker].app);
}

/** The worker's own wrangler.toml (bindings, vars, queues, compatibility settings). */
export function wranglerConfig(worker: StackWorker): string {
  return join(appDir(worker), 'wrangler.toml');
}

function wranglerBin(): string {
  return join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin', 'wrangler.js');
}

/**
 * Writes `<outDir>/dev-entry.js` for one worker and resolves with its path. Rejects with wrangler's output when the
 * build fails (a type-free esbuild error: a syntax error or an unresolvable import).
 */
export async function buildDevBundle(worker: StackWorker, outDir: string): Promise<string> {
  const child = spawn(process.execPath, [wranglerBin(), 'deploy', '--dry-run', '--outdir', outDir, DEV_ENTRY], {
    cwd: appDir(worker),
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', FORCE_COLOR: '0' },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d));
  child.stderr.on('data', (d: Buffer) => (output += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`building the ${worker} worker failed (wrangler exited ${code}):\n${output}`);
  return join(outDir, 'dev-entry.js');
}
