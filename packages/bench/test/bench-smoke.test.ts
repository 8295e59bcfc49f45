/**
 * `pnpm bench` must keep running as the main worker grows (it once failed at initialize for a missing binding and
 * nobody noticed): the bench in `--smoke` mode, against the freshly built worker, must pass every correctness check
 * it makes (valid JSON-RPC results, the right tool counts, the tool calls' mapped results, every SessionDispatch
 * appended once, no refused upstream request), and print the bundle table. No timing is asserted here; performance
 * is read from `pnpm bench`.
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
  // Each list holds its N × 10 integration tools plus the same core tools: 100 × 10 lists 990 more than 1 × 10.
  const listed = (n: number) =>
    Number(new RegExp(`tools/list ${n} × 10 \\(warm\\)\\s+(\\d+)\\s`).exec(run.stdout)?.[1]);
  expect(listed(100) - listed(1)).toBe(990);
  expect(listed(1)).toBeGreaterThan(10);
  expect(run.stdout).toMatch(/tools\/call get_issue → loopback/);
  expect(run.stdout).toMatch(/tools\/call mcp_github_get_issue → loopback\s+-\s/);
  expect(run.stdout).toMatch(/baseline: dispatch driver, no call to main\s+-\s/);
  expect(run.stdout).toMatch(/SessionDispatch → main \(verify \+ append\)\s+-\s/);
  expect(run.stdout).toMatch(/apps\/mcp\/dist\/index\.js\s+\d+\.\d\d\s+\d+\.\d\d\s/);
  expect(run.stdout).toMatch(/apps\/integrations\/dist\/index\.js\s+\d+\.\d\d\s+\d+\.\d\d\s/);
  expect(run.stdout).toMatch(/POST \/webhook\/github \(route, verify, dedupe, enqueue\)\s+20\s+10\s+\d+/);
  expect(run.stdout).toMatch(/webhook ingest throughput = \d+ % of the baseline's/);
  expect(run.stdout).toMatch(/smoke run \(--smoke\): every check passed/);
});
