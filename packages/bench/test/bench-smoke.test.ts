/**
 * `pnpm bench` must keep running as the main worker grows (it once failed at initialize for a missing binding and
 * nobody noticed): the bench in `--smoke` mode, against the freshly built worker, must pass every correctness check
 * it makes (valid JSON-RPC results, the right tool counts, the tool call's mapped result, no refused upstream
 * request). No timing is asserted here; performance is read from `pnpm bench`.
 */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

it('runs every bench row and check against the built workers', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', '--smoke'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
  expect(run.stdout).toMatch(/tools\/list 100 × 10 \(warm\)\s+1015\s/);
  expect(run.stdout).toMatch(/tools\/call get_issue → loopback/);
  expect(run.stdout).toMatch(/POST \/webhook\/github \(route, verify, dedupe, enqueue\)\s+20\s+10\s+\d+/);
  expect(run.stdout).toMatch(/webhook ingest throughput = \d+ % of the baseline's/);
  expect(run.stdout).toMatch(/smoke run \(--smoke\): every check passed/);
});
