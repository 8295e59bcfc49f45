/**
 * Faults of the main worker during a burst of real, signed deliveries, on the real stack (both workers in one
 * workerd process, the integrations worker's MAIN binding through a fault-injecting proxy, the dispatch queue's retry
 * budget cut to 3 retries so the dead-letter path is reached in seconds): nothing is lost, nothing is duplicated.
 * - overloaded, throwing, or storing the dispatch but losing its answer: every delivery acknowledged (202), retried
 *   from the queue, each landing once when the main worker recovers;
 * - unreachable past the retry budget: every delivery dead-lettered and visible as `failed`, then queued again by
 *   the vendor's redelivery, each landing once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startThrowawayStack, type ThrowawayStack } from '@gatehouse/local-stack';
import {
  PROVIDERS,
  markerOf,
  redelivery,
  uniqueDelivery,
  type Delivery,
  type LoadProvider,
} from '../src/deliveries.js';
import { FAULT_PROXY_NAME, FAULT_PROXY_SCRIPT, type FaultMode } from '../src/fault-proxy.js';
import { runPool } from '../src/pool.js';
import { readBack } from '../src/read-back.js';
import { install, seedTenant } from '../src/tenant.js';

let stack: ThrowawayStack;
let d1: D1Database;

beforeAll(async () => {
  stack = await startThrowawayStack({
    extraWorkers: [
      {
        name: FAULT_PROXY_NAME,
        modules: true,
        script: FAULT_PROXY_SCRIPT,
        compatibilityDate: '2026-11-01',
        serviceBindings: { TARGET: 'gatehouse-mcp' },
      },
    ],
    bindingOverrides: { integrations: { MAIN: FAULT_PROXY_NAME } },
    adjust: (worker, options) =>
      worker !== 'integrations'
        ? options
        : {
            ...options,
            queueConsumers: Object.fromEntries(
              Object.entries(options.queueConsumers as Record<string, object>).map(([q, c]) => [
                q,
                { ...c, maxRetries: 3 },
              ]),
            ),
          },
  });
  d1 = (await stack.d1()) as unknown as D1Database;
});
afterAll(async () => {
  await stack?.dispose();
});

async function fault(mode: FaultMode): Promise<{ mode: string; seen: number }> {
  const proxy = await stack.mf.getWorker(FAULT_PROXY_NAME);
  const res = await proxy.fetch(`http://fault.local/__fault?mode=${mode}`);
  return (await res.json()) as { mode: string; seen: number };
}

/** A tenant with every provider installed, and `n` unique signed deliveries spread over them. */
async function burst(slug: string, n: number) {
  const tenant = await seedTenant(d1, slug);
  const secrets = {} as Record<LoadProvider, string>;
  const urls = {} as Record<LoadProvider, string>;
  for (const p of PROVIDERS) {
    secrets[p] = `fault-${p}-${slug}-secret`;
    urls[p] = await install(stack.urls.integrations!, tenant.token, p, secrets[p]);
  }
  const run = randomBytes(4).toString('hex');
  const deliveries: Delivery[] = [];
  for (let i = 0; i < n; i++) {
    const p = PROVIDERS[i % PROVIDERS.length]!;
    deliveries.push(await uniqueDelivery(p, secrets[p], markerOf(run, i), i));
  }
  const send = (list: readonly Delivery[]) =>
    runPool(
      list.map(
        (d) => async () =>
          String((await fetch(urls[d.provider], { method: 'POST', headers: d.headers, body: d.body })).status),
      ),
      10,
    );
  return { tenant, secrets, deliveries, send };
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('main worker faults during a burst', () => {
  it.each(['overloaded', 'throw', 'lost_answer'] as const)(
    'main %s: acknowledged, retried from the queue, each landing once',
    async (mode) => {
      const { tenant, deliveries, send } = await burst(`fault-${mode}`, 45);
      const { seen: before } = await fault(mode);
      const sent = await send(deliveries);
      expect(sent.outcomes).toEqual({ '202': 45 });
      // Every dispatch has met the fault at least once before the main worker recovers.
      await until(async () => (await fault(mode)).seen >= before + 45, 20_000);
      await fault('pass');
      const counts = await readBack(d1, tenant.organizationId, deliveries, 60_000);
      expect(counts).toEqual({
        eventsStored: 45,
        eventsDuplicated: 0,
        eventsMissing: 0,
        deliveries: { dispatched: 45 },
      });
    },
  );

  it('main unreachable past the retry budget: dead-lettered, visible as failed, queued again by a redelivery, each landing once', async () => {
    const { tenant, secrets, deliveries, send } = await burst('fault-gone', 21);
    await fault('unreachable');
    expect((await send(deliveries)).outcomes).toEqual({ '202': 21 });
    // Retries at 2, 4 and 8 s, then the dead-letter queue marks each delivery failed.
    const failed = await readBack(d1, tenant.organizationId, deliveries, 60_000);
    expect(failed).toEqual({ eventsStored: 0, eventsDuplicated: 0, eventsMissing: 21, deliveries: { failed: 21 } });
    await fault('pass');
    // The vendor redelivers (GitHub on request, Linear and Slack by themselves): the same delivery is queued again.
    const again = await send(deliveries.map((d) => redelivery(d, secrets[d.provider])));
    expect(again.outcomes).toEqual({ '202': 21 });
    const counts = await readBack(d1, tenant.organizationId, deliveries, 60_000);
    expect(counts).toEqual({ eventsStored: 21, eventsDuplicated: 0, eventsMissing: 0, deliveries: { dispatched: 21 } });
  });
});
