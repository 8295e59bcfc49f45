/**
 * Runs the repo's own wrangler (the root devDependency) with the Node running this script, so scripts do not depend
 * on PATH or on which `node` a shell finds first.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Absolute path of wrangler's CLI entry (`bin/wrangler.js` next to its package.json). */
export function wranglerBin(): string {
  const pkg = createRequire(import.meta.url).resolve('wrangler/package.json');
  return join(dirname(pkg), 'bin', 'wrangler.js');
}

/**
 * Spawns `wrangler <args>`. Metrics are off (WRANGLER_SEND_METRICS=false, https://developers.cloudflare.com/workers/wrangler/system-environment-variables/)
 * and stdin is closed unless the caller says otherwise: wrangler treats a non-TTY stdin as non-interactive and takes
 * the default answer of its prompts (cli.js `isTtyInteractive`), which is what a local-only command wants.
 */
export function spawnWrangler(args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, [wranglerBin(), ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    ...options,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', ...options.env },
  });
}

/** Resolves with the exit code of a child process (signals count as 1 after being reported by the caller). */
export function exitCode(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
