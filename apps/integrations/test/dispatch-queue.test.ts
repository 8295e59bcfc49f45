import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  appendSessionDispatch,
  createDb,
  createInstallation,
  createOrganization,
  listDeliveries,
  recordDelivery,
} from '@gatehouse/integrations-adapters-cf';
import type { MainRpc, SessionDispatch } from '@gatehouse/integrations-core';
import { DEAD_LETTER_QUEUE, consumeDispatches, retryDelaySeconds } from '../src/dispatch-queue.js';
import type { DispatchMessage } from '../src/webhook-pipeline.js';

const db = createDb(env.AUTH_DB);

async function queuedDelivery(slug: string) {
  const org = await createOrganization(db, { slug, name: slug });
  const inst = await createInstallation(
    db,
    { organizationId: org.id },
    {
      kind: 'provider',
      source: 'github',
      title: 'GitHub',
      scope: 'global',
      workspaceId: null,
      settings: {},
      credentials: 'jwe',
      createdBy: 'u',
    },
  );
  const { record } = await recordDelivery(
    db,
    { organizationId: org.id },
    {
      installationId: inst.id,
      provider: 'github',
      deliveryId: `d-${slug}`,
      bodySha256: `body-${slug}`,
      eventName: 'issues.opened',
      status: 'received',
    },
  );
  const dispatch: SessionDispatch = {
    dispatchId: `github:d-${slug}`,
    organizationId: org.id,
    workspaceId: null,
    installationId: inst.id,
    provider: 'github',
    threadKey: 'o/r#1',
    title: 't',
    publication: null,
    closesThread: false,
    reply: null,
    event: { name: 'issues.opened', actor: 'a', summary: 's', data: {} },
  };
  const body: DispatchMessage = { deliveryRecordId: record.id, organizationId: org.id, dispatch };
  return { org, inst, body };
}

/** A MAIN binding whose deliverSessionDispatch is `deliver` (the consumer only calls that method). */
function rpcMain(deliver: MainRpc['deliverSessionDispatch']): Fetcher {
  return { deliverSessionDispatch: deliver } as unknown as Fetcher;
}

function batch(queue: string, body: DispatchMessage, attempts = 1) {
  return createMessageBatch<DispatchMessage>(queue, [{ id: 'm1', timestamp: new Date(), attempts, body }]);
}

describe('dispatch queue consumer', () => {
  it('acknowledges and marks the delivery dispatched when the main worker accepts it', async () => {
    const { org, inst, body } = await queuedDelivery('q-ok');
    const b = batch('gatehouse-session-dispatch', body);
    const ctx = createExecutionContext();
    await consumeDispatches(b, env);
    expect(await getQueueResult(b, ctx)).toMatchObject({ explicitAcks: ['m1'], retryMessages: [] });
    expect(await listDeliveries(db, { organizationId: org.id }, inst.id)).toMatchObject([{ status: 'dispatched' }]);
  });

  it('retries with backoff when the main worker fails, and loses nothing', async () => {
    const { org, inst, body } = await queuedDelivery('q-retry');
    const failingMain = rpcMain(async () => {
      throw new Error('main worker unreachable');
    });
    const b = batch('gatehouse-session-dispatch', body, 3);
    const ctx = createExecutionContext();
    await consumeDispatches(b, { ...env, MAIN: failingMain });
    const result = await getQueueResult(b, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(['m1']);
    expect(await listDeliveries(db, { organizationId: org.id }, inst.id)).toMatchObject([{ status: 'received' }]);
  });

  it('does not retry a dispatch the main worker refuses for good: the delivery is failed at once', async () => {
    for (const reason of ['invalid_dispatch', 'unknown_installation'] as const) {
      const { org, inst, body } = await queuedDelivery(`q-refused-${reason}`);
      const refusingMain = rpcMain(async () => ({ ok: false, reason, message: 'refused' }));
      const b = batch('gatehouse-session-dispatch', body);
      const ctx = createExecutionContext();
      await consumeDispatches(b, { ...env, MAIN: refusingMain });
      expect(await getQueueResult(b, ctx)).toMatchObject({ explicitAcks: ['m1'], retryMessages: [] });
      expect(await listDeliveries(db, { organizationId: org.id }, inst.id)).toMatchObject([{ status: 'failed' }]);
    }
    // A failure inside the main worker (its rpcBoundary rethrows) is not a refusal: retried.
    const { body } = await queuedDelivery('q-internal');
    const b = batch('gatehouse-session-dispatch', body);
    const ctx = createExecutionContext();
    await consumeDispatches(b, {
      ...env,
      MAIN: rpcMain(async () => {
        throw new Error('deliverSessionDispatch failed in the other worker; it was logged there');
      }),
    });
    expect((await getQueueResult(b, ctx)).retryMessages.map((m) => m.msgId)).toEqual(['m1']);
  });

  it('retries a dispatch whose signature the main worker refuses (a key rotation in progress), never fails it at once', async () => {
    const { org, inst, body } = await queuedDelivery('q-rotation');
    const b = batch('gatehouse-session-dispatch', body);
    const ctx = createExecutionContext();
    await consumeDispatches(b, {
      ...env,
      MAIN: rpcMain(async () => ({ ok: false, reason: 'invalid_signature', message: 'bad_signature' })),
    });
    expect((await getQueueResult(b, ctx)).retryMessages.map((m) => m.msgId)).toEqual(['m1']);
    expect(await listDeliveries(db, { organizationId: org.id }, inst.id)).toMatchObject([{ status: 'received' }]);
  });

  it('sends a continuation only if its thread has a session when consumed, and records it ignored otherwise', async () => {
    const { org, inst, body } = await queuedDelivery('q-continuation');
    const message: DispatchMessage = { ...body, continuation: true };
    let sent = 0;
    const countingMain = rpcMain(async () => {
      sent++;
      return { ok: true, sessionId: 's', appended: true };
    });
    const first = batch('gatehouse-session-dispatch', message);
    await consumeDispatches(first, { ...env, MAIN: countingMain });
    expect(await getQueueResult(first, createExecutionContext())).toMatchObject({
      explicitAcks: ['m1'],
      retryMessages: [],
    });
    expect(sent).toBe(0);
    expect(await listDeliveries(db, { organizationId: org.id }, inst.id)).toMatchObject([{ status: 'ignored' }]);
    // Once the thread has a session (the mention got there first), the same continuation is sent.
    await appendSessionDispatch(db, { organizationId: org.id }, { ...body.dispatch, dispatchId: 'github:d-mention' });
    await consumeDispatches(batch('gatehouse-session-dispatch', message), { ...env, MAIN: countingMain });
    expect(sent).toBe(1);
    expect(await listDeliveries(db, { organizationId: org.id }, inst.id)).toMatchObject([{ status: 'dispatched' }]);
  });

  it('backs off exponentially, capped at five minutes', () => {
    expect([1, 2, 3, 8, 9, 20].map(retryDelaySeconds)).toEqual([2, 4, 8, 256, 300, 300]);
  });

  it('marks a dead-lettered dispatch failed, so a vendor redelivery queues it again', async () => {
    const { org, inst, body } = await queuedDelivery('q-dlq');
    const b = batch(DEAD_LETTER_QUEUE, body, 6);
    const ctx = createExecutionContext();
    await consumeDispatches(b, env);
    expect((await getQueueResult(b, ctx)).explicitAcks).toEqual(['m1']);
    expect(await listDeliveries(db, { organizationId: org.id }, inst.id)).toMatchObject([{ status: 'failed' }]);
  });
});
