/**
 * `pnpm dev` itself, as a new user runs it (scripts/dev.mjs: migrations, seed, both workers in one workerd process),
 * on a throwaway state directory and free ports, loaded the way the issue measured the old two-process stack:
 * 1,000 unique signed GitHub issue_comment deliveries at concurrency 20, then 300 one after another. No 5xx, every
 * event stored exactly once, and not one unhandled error in the stack's output. The counts are read through the same
 * SQLite file from this process (a second writer the dev workers wait out).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, freePort } from '@gatehouse/local-stack';
import { openLocalD1 } from '../src/attach.js';
import { runLoadtest, type LoadtestTarget } from '../src/loadtest.js';

const stateDir = mkdtempSync(join(tmpdir(), 'gatehouse-pnpm-dev-'));
let dev: ChildProcess;
let output = '';
let target: LoadtestTarget;
let closeD1: () => Promise<void>;

beforeAll(async () => {
  const ports = { mcp: await freePort(), integrations: await freePort() };
  dev = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'dev.mjs'), '--json'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      GATEHOUSE_PERSIST_TO: join(stateDir, 'state'),
      GATEHOUSE_DEV_MCP_PORT: String(ports.mcp),
      GATEHOUSE_DEV_INTEGRATIONS_PORT: String(ports.integrations),
      WRANGLER_SEND_METRICS: 'false',
      CI: 'true',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  dev.stdout!.on('data', (d: Buffer) => (output += d));
  dev.stderr!.on('data', (d: Buffer) => (output += d));
  // --json: the last stdout line is {mcpUrl, integrationsUrl, token} once both workers answer.
  const deadline = Date.now() + 120_000;
  let ready: { mcpUrl: string; integrationsUrl: string } | undefined;
  while (!ready) {
    if (dev.exitCode !== null) throw new Error(`pnpm dev exited ${dev.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`pnpm dev did not come up:\n${output}`);
    const line = output.split('\n').find((l) => l.startsWith('{"mcpUrl"'));
    if (line) ready = JSON.parse(line) as { mcpUrl: string; integrationsUrl: string };
    else await new Promise((r) => setTimeout(r, 200));
  }
  expect(ready.mcpUrl).toBe(`http://127.0.0.1:${ports.mcp}/mcp`);
  const local = await openLocalD1(join(stateDir, 'state'));
  closeD1 = local.close;
  target = { mcpUrl: ready.mcpUrl, integrationsUrl: ready.integrationsUrl, d1: local.d1 };
}, 150_000);

afterAll(async () => {
  await closeD1?.();
  if (dev?.pid !== undefined && dev.exitCode === null) {
    const exited = once(dev, 'exit');
    process.kill(-dev.pid, 'SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (dev.exitCode === null) process.kill(-dev.pid, 'SIGKILL');
  }
  rmSync(stateDir, { recursive: true, force: true });
});

describe('pnpm dev under load', () => {
  it.each([
    ['1,000 deliveries at concurrency 20', 1000, 20],
    ['300 deliveries one after another', 300, 1],
  ])('takes %s with no 5xx, each event stored once', async (_label, unique, concurrency) => {
    const report = await runLoadtest(target, { unique, duplicates: 0, concurrency, providers: ['github'] });
    expect(report.failures).toEqual([]);
    expect(report.webhooks.outcomes).toEqual({ '202': unique });
    expect(report.counts).toMatchObject({
      eventsStored: unique,
      eventsDuplicated: 0,
      eventsMissing: 0,
      deliveries: { dispatched: unique },
    });
    expect(output).not.toMatch(/unhandled error|SQLITE_BUSY/);
  });
});
