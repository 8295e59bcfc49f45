/**
 * The provider-building loop: `pnpm dev:integrations` keeps running while the main worker (`pnpm dev:mcp`) is
 * stopped in the middle of a burst and started again 15 s later. Two workerd processes on one D1 file, as those
 * two commands run them. Every delivery is acknowledged while the main worker is away, and once it is back the
 * queued dispatches reach it within the retry budget (backoff 2, 4, 8, 16 s): each event stored exactly once. And the
 * other way round: the integrations worker stopped while its dispatches wait for a retry (Miniflare's queue keeps
 * them in memory only) sends them again when it starts (its development entry's outbox), each landing once.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withBusyRetry } from '@gatehouse/integrations-adapters-cf/dev';
import {
  applyMigrations,
  freePort,
  generateSecrets,
  startLocalStack,
  type LocalStack,
  type LocalStackOptions,
} from '@gatehouse/local-stack';
import { markerOf, uniqueDelivery, type Delivery } from '../src/deliveries.js';
import { runPool } from '../src/pool.js';
import { readBack } from '../src/read-back.js';
import { install, seedTenant } from '../src/tenant.js';

const stateDir = mkdtempSync(join(tmpdir(), 'gatehouse-restart-'));
const running: LocalStack[] = [];
beforeAll(() => applyMigrations(join(stateDir, 'state')));
afterAll(async () => {
  await Promise.all(running.map((s) => s.dispose().catch(() => undefined)));
  rmSync(stateDir, { recursive: true, force: true });
});

async function startPair(label: string) {
  const ports = { mcp: await freePort(), integrations: await freePort() };
  const common: Omit<LocalStackOptions, 'workers' | 'buildDir'> = {
    ports,
    persistTo: join(stateDir, 'state'),
    secrets,
    log: () => undefined,
    ...(process.env.GATEHOUSE_STACK_LOGS === '1' ? {} : { workerLogs: () => undefined }),
  };
  const start = async (worker: 'mcp' | 'integrations') => {
    const s = await startLocalStack({
      ...common,
      workers: [worker],
      buildDir: join(stateDir, `build-${label}-${worker}`),
    });
    running.push(s);
    return s;
  };
  const stop = async (s: LocalStack) => {
    running.splice(running.indexOf(s), 1);
    await s.dispose();
  };
  const main = await start('mcp');
  const integrations = await start('integrations');
  // This test process is a client of the integrations process's D1 while the main process writes the same file.
  const d1 = withBusyRetry((await integrations.d1()) as unknown as D1Database);
  const tenant = await seedTenant(d1, `restart-${label}`);
  const secret = `restart-${randomBytes(8).toString('hex')}`;
  const url = await install(integrations.urls.integrations!, tenant.token, 'github', secret);
  const run = randomBytes(4).toString('hex');
  const deliveries = async (n: number) => {
    const list: Delivery[] = [];
    for (let i = 0; i < n; i++) list.push(await uniqueDelivery('github', secret, markerOf(run, i), i));
    return list;
  };
  const send = (list: readonly Delivery[]) =>
    runPool(
      list.map(
        (d) => async () => String((await fetch(url, { method: 'POST', headers: d.headers, body: d.body })).status),
      ),
      20,
    );
  return { main, integrations, d1, tenant, deliveries, send, start, stop };
}

const secrets = generateSecrets();

describe('restarts under pnpm dev:mcp and pnpm dev:integrations', () => {
  it('main worker stopped mid-burst for 15 s: every delivery acknowledged, each landing once after it is back', async () => {
    const pair = await startPair('main');
    const list = await pair.deliveries(600);
    const first = await pair.send(list.slice(0, 200));
    const stopped = pair.stop(pair.main);
    const during = await pair.send(list.slice(200, 500));
    await stopped;
    const away = await pair.send(list.slice(500));
    await new Promise((r) => setTimeout(r, 15_000));
    await pair.start('mcp');
    for (const sent of [first, during, away]) expect(sent.outcomes).toEqual({ '202': sent.count });
    const counts = await readBack(pair.d1, pair.tenant.organizationId, list, 90_000);
    expect(counts).toEqual({
      eventsStored: 600,
      eventsDuplicated: 0,
      eventsMissing: 0,
      deliveries: { dispatched: 600 },
    });
  });

  it('integrations worker stopped while its dispatches wait for a retry: it sends them again when it starts', async () => {
    const pair = await startPair('integrations');
    const list = await pair.deliveries(150);
    await pair.stop(pair.main);
    expect((await pair.send(list)).outcomes).toEqual({ '202': 150 });
    // Each dispatch has failed once (the main worker is away) and waits in the queue's memory for its retry.
    await new Promise((r) => setTimeout(r, 2_500));
    await pair.stop(pair.integrations);
    await pair.start('mcp');
    const integrations = await pair.start('integrations');
    const d1 = withBusyRetry((await integrations.d1()) as unknown as D1Database);
    const counts = await readBack(d1, pair.tenant.organizationId, list, 90_000);
    expect(counts).toEqual({
      eventsStored: 150,
      eventsDuplicated: 0,
      eventsMissing: 0,
      deliveries: { dispatched: 150 },
    });
    // Rows are deleted after each consumer batch, a moment after the deliveries show as dispatched.
    let owed = -1;
    for (let i = 0; i < 50 && owed !== 0; i++) {
      owed = (await d1.prepare('SELECT count(*) AS n FROM dev_dispatch_outbox').first<{ n: number }>())?.n ?? -1;
      if (owed !== 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(owed).toBe(0);
  });
});
