/**
 * Faults inside the webhook route, with real payloads: D1 failing at each of its steps answers a 5xx with nothing
 * half-written, and the vendor's retry then lands the event exactly once; the queue failing while D1 fails too
 * leaves a delivery the vendor's retry still queues (under its first id, so it stays one event); an unhandled error
 * is one log line with the route and a request id, its message redacted (no secret reaches the log).
 */
import { SELF, createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { sign } from '@octokit/webhooks-methods';
import examples from '@octokit/webhooks-examples';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listDeliveries } from '@gatehouse/integrations-adapters-cf';
import { faultyD1 } from '@gatehouse/integrations-adapters-cf/testing';
import { REQUEST_ID_HEADER } from '@gatehouse/integrations-core';
import Worker from '../src/index.js';
import { db, installProvider, seedTenant } from './tenant.js';

/** The worker's fetch handler over `env` (its default export is a WorkerEntrypoint class). */
const workerFetch = (request: Request, e: Env, ctx: ExecutionContext) => new Worker(ctx, e).fetch(request);

const SECRET = 'faults-webhook-secret';

const comment = (examples as unknown as { name: string; examples: Record<string, any>[] }[])
  .find((d) => d.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

async function signed(n: number, deliveryId: string) {
  const payload = structuredClone(comment);
  payload.issue.number = 70_000 + n;
  payload.comment.id = 80_000 + n;
  const body = JSON.stringify(payload);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await sign(SECRET, body),
    },
  };
}

/** The route with `overrides` in its env (a faulty D1, a failing queue), through the worker's own fetch handler. */
async function deliverWith(
  url: string,
  delivery: { body: string; headers: Record<string, string> },
  overrides: Partial<Env>,
) {
  const ctx = createExecutionContext();
  const res = await workerFetch(
    new Request(url, { method: 'POST', headers: delivery.headers, body: delivery.body }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

async function dispatchIds(): Promise<string[]> {
  await env.AUTH_DB.prepare('create table if not exists test_dispatches (body text not null, signature text)').run();
  const { results } = await env.AUTH_DB.prepare('select body from test_dispatches').all<{ body: string }>();
  return results.map((r) => (JSON.parse(r.body) as { dispatchId: string }).dispatchId);
}

async function settled(dispatchId: string, times: number): Promise<number> {
  // Up to 10 s: the queue consumer takes batches every second (max_batch_timeout).
  for (let i = 0; i < 500; i++) {
    const n = (await dispatchIds()).filter((id) => id === dispatchId).length;
    if (n >= times) return n;
    await new Promise((r) => setTimeout(r, 20));
  }
  return (await dispatchIds()).filter((id) => id === dispatchId).length;
}

async function installGithub(slug: string) {
  const { org, token } = await seedTenant(slug);
  const { res, body } = await installProvider(token, 'github', { credentials: { webhook_secret: SECRET } });
  expect(res.status).toBe(201);
  return { tenant: { organizationId: org.id }, installationId: body.installation.id, webhookUrl: body.webhook_url };
}

afterEach(() => vi.restoreAllMocks());

describe('webhook route under faults', () => {
  it('D1 failing at any step answers a 5xx, writes nothing, and the retry lands the event once (row read afresh)', async () => {
    const { tenant, installationId, webhookUrl } = await installGithub('fault-d1');
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // How many D1 executions a healthy delivery makes: each is a point where D1 can fail.
    const probe = faultyD1(env.AUTH_DB, () => false);
    expect((await deliverWith(webhookUrl, await signed(0, 'fault-probe'), { AUTH_DB: probe.d1 })).status).toBe(202);
    const steps = probe.executions.length;
    expect(steps).toBeGreaterThanOrEqual(2);

    for (let k = 1; k <= steps; k++) {
      const delivery = await signed(k, `fault-${k}`);
      const failing = faultyD1(env.AUTH_DB, (_sql, n) => n === k);
      const res = await deliverWith(webhookUrl, delivery, { AUTH_DB: failing.d1 });
      expect(res.status, `D1 failing at step ${k} of ${steps}`).toBeGreaterThanOrEqual(500);
      expect((await listDeliveries(db, tenant, installationId)).filter((d) => d.deliveryId === `fault-${k}`)).toEqual(
        [],
      );
      // The vendor retries the same delivery once D1 is back.
      const retry = await SELF.fetch(webhookUrl, { method: 'POST', headers: delivery.headers, body: delivery.body });
      expect(retry.status).toBe(202);
      expect(await settled(`github:${installationId}:fault-${k}`, 1)).toBe(1);
    }
  });

  it('D1 failing at any step of a delivery served from the cached installation row does the same', async () => {
    const { tenant, installationId, webhookUrl } = await installGithub('fault-d1-warm');
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    // One binding for the whole test, so its installation cache stays warm; failures counted from each request.
    let base = 0;
    let failAt = 0;
    const faulty = faultyD1(env.AUTH_DB, (_sql, n) => n - base === failAt);
    const through = async (delivery: Awaited<ReturnType<typeof signed>>, k: number) => {
      base = faulty.executions.length;
      failAt = k;
      return deliverWith(webhookUrl, delivery, { AUTH_DB: faulty.d1 });
    };
    expect((await through(await signed(500, 'warm-probe-1'), 0)).status).toBe(202);
    const before = faulty.executions.length;
    expect((await through(await signed(501, 'warm-probe-2'), 0)).status).toBe(202);
    const steps = faulty.executions.length - before;
    // Served from the cache: only the statement that records the delivery while confirming the installation row.
    expect(faulty.executions.slice(before).map((e) => e.sql)).toEqual([
      expect.stringMatching(/FROM installations i[\s\S]*ON CONFLICT DO NOTHING/),
    ]);
    expect(steps).toBe(1);
    for (let k = 1; k <= steps; k++) {
      const delivery = await signed(510 + k, `warm-${k}`);
      const res = await through(delivery, k);
      expect(res.status, `D1 failing at warm step ${k} of ${steps}`).toBeGreaterThanOrEqual(500);
      expect((await listDeliveries(db, tenant, installationId)).filter((d) => d.deliveryId === `warm-${k}`)).toEqual(
        [],
      );
      const retry = await SELF.fetch(webhookUrl, { method: 'POST', headers: delivery.headers, body: delivery.body });
      expect(retry.status).toBe(202);
      expect(await settled(`github:${installationId}:warm-${k}`, 1)).toBe(1);
    }
  });

  it('a delivery whose insert committed but whose answer was lost is queued by the vendor’s retry, once', async () => {
    const { tenant, installationId, webhookUrl } = await installGithub('fault-lost-answer');
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const delivery = await signed(400, 'lost-1');
    const lost = faultyD1(env.AUTH_DB, (sql) => /^insert into "webhook_events"/i.test(sql), undefined, {
      when: 'after',
    });
    expect((await deliverWith(webhookUrl, delivery, { AUTH_DB: lost.d1 })).status).toBeGreaterThanOrEqual(500);
    expect(await listDeliveries(db, tenant, installationId)).toMatchObject([
      { deliveryId: 'lost-1', status: 'received' },
    ]);
    const retry = await SELF.fetch(webhookUrl, { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect(retry.status).toBe(200);
    expect(await settled(`github:${installationId}:lost-1`, 1)).toBe(1);
    expect(await listDeliveries(db, tenant, installationId)).toMatchObject([
      { deliveryId: 'lost-1', status: 'dispatched' },
    ]);
  });

  it('a delivery neither queued nor marked failed is queued again by the vendor’s retry, once', async () => {
    const { tenant, installationId, webhookUrl } = await installGithub('fault-queue');
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const delivery = await signed(100, 'stuck-1');
    const queueDown = { send: () => Promise.reject(new Error('queue unavailable')) } as unknown as Queue;
    const updatesFail = faultyD1(env.AUTH_DB, (sql) => /^update "webhook_events"/i.test(sql));
    const res = await deliverWith(webhookUrl, delivery, { AUTH_DB: updatesFail.d1, DISPATCH_QUEUE: queueDown });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await listDeliveries(db, tenant, installationId)).toMatchObject([
      { deliveryId: 'stuck-1', status: 'received' },
    ]);

    // The vendor's retry is a duplicate to the sender, and is queued all the same (the first one never was).
    const retry = await SELF.fetch(webhookUrl, { method: 'POST', headers: delivery.headers, body: delivery.body });
    expect(retry.status).toBe(200);
    expect(await settled(`github:${installationId}:stuck-1`, 1)).toBe(1);
    expect(await listDeliveries(db, tenant, installationId)).toMatchObject([
      { deliveryId: 'stuck-1', status: 'dispatched' },
    ]);
    // Settled, a replay under a new delivery id changes nothing: no second event, none under the replay's id.
    const replay = await SELF.fetch(webhookUrl, {
      method: 'POST',
      headers: { ...delivery.headers, 'x-github-delivery': 'stuck-1-replay' },
      body: delivery.body,
    });
    expect(replay.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_500));
    expect((await dispatchIds()).filter((id) => id.includes(':stuck-1'))).toEqual([`github:${installationId}:stuck-1`]);
  });

  it('a replay of a still-owed delivery under a new id is queued under the first id: one event', async () => {
    const { installationId, webhookUrl } = await installGithub('fault-replay');
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const delivery = await signed(300, 'owed-1');
    const queueDown = { send: () => Promise.reject(new Error('queue unavailable')) } as unknown as Queue;
    const res = await deliverWith(webhookUrl, delivery, { DISPATCH_QUEUE: queueDown });
    expect(res.status).toBe(503);
    const replay = await SELF.fetch(webhookUrl, {
      method: 'POST',
      headers: { ...delivery.headers, 'x-github-delivery': 'owed-1-replay' },
      body: delivery.body,
    });
    expect(replay.status).toBe(202);
    expect(await settled(`github:${installationId}:owed-1`, 1)).toBe(1);
    expect((await dispatchIds()).filter((id) => id.endsWith(':owed-1-replay'))).toEqual([]);
  });

  it('logs an unhandled error as one line with route and request id, and no secret from its message', async () => {
    const { webhookUrl } = await installGithub('fault-log');
    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
    const credentialsKey = Object.values(JSON.parse(env.CREDENTIALS_KEYS) as Record<string, string>)[0]!;
    const leaky = new Error(
      `D1_ERROR: connection to db failed (auth Bearer gth_leakedTokenValue1234; key ${env.MCP_SIGNING_KEY}; ${credentialsKey})`,
    );
    const res = await deliverWith(webhookUrl, await signed(200, 'leak-1'), {
      AUTH_DB: faultyD1(env.AUTH_DB, () => true, leaky).d1,
    });
    expect(res.status).toBe(500);
    const requestId = res.headers.get(REQUEST_ID_HEADER);
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({
      error: 'internal_error',
      message: 'internal error; it was logged',
      request_id: requestId,
    });
    const logged = lines.map((l) => JSON.parse(l) as Record<string, string>).filter((l) => l.msg === 'unhandled error');
    expect(logged).toEqual([
      {
        msg: 'unhandled error',
        worker: 'integrations',
        method: 'POST',
        route: '/webhook/:provider/:installation',
        requestId,
        error: 'Error',
        message: 'D1_ERROR: connection to db failed (auth Bearer [redacted]; key [redacted]; [redacted])',
        query: expect.stringMatching(/^select .* from "installations" where/),
      },
    ]);
    for (const secret of ['gth_leakedTokenValue1234', env.MCP_SIGNING_KEY, credentialsKey])
      expect(lines.join('\n')).not.toContain(secret);

    // Behind Cloudflare's edge, the request id is the cf-ray the person can quote.
    const viaEdge = await workerFetch(
      new Request(webhookUrl, {
        method: 'POST',
        headers: { ...(await signed(201, 'leak-2')).headers, 'cf-ray': '8f1e2d3c4b5a6978-AMS' },
        body: '{}',
      }),
      { ...env, AUTH_DB: faultyD1(env.AUTH_DB, () => true).d1 },
      createExecutionContext(),
    );
    expect(viaEdge.headers.get(REQUEST_ID_HEADER)).toBe('8f1e2d3c4b5a6978-AMS');
  });
});
