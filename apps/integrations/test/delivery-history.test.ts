/**
 * The integrations worker's run-history items: a forged delivery is a `refused` item with its reason and no body; a
 * duplicate is recorded as one; an accepted delivery is recorded by the queue consumer with each dispatch attempt
 * (retried, then delivered to its session), once however often the message is retried, all in the session's trace.
 */
import { SELF, createMessageBatch, env } from 'cloudflare:test';
import { sign } from '@octokit/webhooks-methods';
import examples from '@octokit/webhooks-examples';
import { describe, expect, it } from 'vitest';
import { traceIdForThread, type MainRpc } from '@gatehouse/integrations-core';
import { consumeDispatches } from '../src/dispatch-queue.js';
import type { DispatchMessage } from '../src/webhook-pipeline.js';
import { installProvider, seedTenant } from './tenant.js';

const SECRET = 'delivery-history-webhook-secret';

interface Row {
  id: string;
  kind: string;
  status: string;
  reason: string | null;
  summary: string;
  detail: string | null;
  body_key: string | null;
  session_id: string | null;
  trace_id: string;
  installation_id: string;
}

async function rows(organizationId: string, min: number): Promise<Row[]> {
  for (let i = 0; i < 100; i++) {
    const { results } = await env.AUTH_DB.prepare(
      'select * from run_history_items where organization_id = ? order by started_at, kind',
    )
      .bind(organizationId)
      .all<Row>();
    if (results.length >= min) return results;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${min} run-history rows`);
}

function comment(number: number) {
  const def = (examples as unknown as { name: string; examples: Record<string, any>[] }[]).find(
    (d) => d.name === 'issue_comment',
  )!;
  const p = structuredClone(def.examples.find((e) => e.action === 'created')!);
  p.issue.number = number;
  return p;
}

async function deliver(url: string, raw: string, id: string, signature: string) {
  return SELF.fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'issue_comment',
      'x-github-delivery': id,
      'x-hub-signature-256': signature,
    },
    body: raw,
  });
}

describe('run history of webhook deliveries and dispatches', () => {
  it('records a forged delivery as refused with its reason and nothing of what it carried', async () => {
    const { org, token } = await seedTenant('dh-forged');
    const { body } = await installProvider(token, 'github', { credentials: { webhook_secret: SECRET } });
    const raw = JSON.stringify(comment(1));
    const minute = () => Math.floor(Date.now() / 60_000);
    const before = minute();
    const res = await deliver(body.webhook_url, raw, 'forged-1', await sign('not-the-secret', raw));
    expect(res.status).toBe(401);
    // A loop of forgeries fills nothing: one item per installation, reason and minute.
    for (let i = 2; i <= 5; i++)
      expect((await deliver(body.webhook_url, raw, `forged-${i}`, await sign('not-the-secret', raw))).status).toBe(401);
    const all = await rows(org.id, 1);
    await new Promise((r) => setTimeout(r, 100));
    expect((await rows(org.id, 1)).length).toBe(minute() === before ? 1 : all.length);
    const [item] = all;
    expect(item).toMatchObject({
      kind: 'webhook_delivery',
      status: 'refused',
      reason: 'bad_signature',
      detail: null,
      body_key: null,
      installation_id: body.installation.id,
    });
    expect(item!.summary).not.toContain('forged-1');
    expect(JSON.stringify(item)).not.toContain(SECRET);
  });

  it('records an accepted delivery once with each dispatch attempt, in the session’s trace', async () => {
    const { org, token } = await seedTenant('dh-accepted');
    const { body } = await installProvider(token, 'github', { credentials: { webhook_secret: SECRET } });
    const payload = comment(77);
    const raw = JSON.stringify(payload);
    const signature = await sign(SECRET, raw);
    expect((await deliver(body.webhook_url, raw, 'ok-1', signature)).status).toBe(202);
    // The same delivery again: a duplicate to the sender, recorded as one.
    expect((await deliver(body.webhook_url, raw, 'ok-1', signature)).status).toBe(200);
    const duplicates = (await rows(org.id, 1)).filter((r) => r.reason === 'duplicate');
    expect(duplicates).toMatchObject([{ kind: 'webhook_delivery', status: 'ok' }]);

    // What the queue consumer does with the queued message: one failed attempt, then one delivered.
    const thread = `${payload.repository.full_name}#77`;
    const dispatch = {
      dispatchId: `github:${body.installation.id}:ok-1`,
      organizationId: org.id,
      workspaceId: null,
      installationId: body.installation.id,
      provider: 'github',
      threadKey: thread,
      title: 't',
      publication: null,
      closesThread: false,
      reply: null,
      event: { name: 'issue_comment.created', actor: 'octocat', summary: 's', data: {} },
    };
    const deliveryRecord = await env.AUTH_DB.prepare('select id from webhook_events where delivery_id = ?')
      .bind('ok-1')
      .first<{ id: string }>();
    const message: DispatchMessage = {
      deliveryRecordId: deliveryRecord!.id,
      organizationId: org.id,
      dispatch,
      receivedAt: Date.now(),
    };
    const main = (deliver: MainRpc['deliverSessionDispatch']) =>
      ({ deliverSessionDispatch: deliver }) as unknown as Fetcher;
    const batch = (attempts: number) =>
      createMessageBatch<DispatchMessage>('gatehouse-session-dispatch', [
        { id: `m${attempts}`, timestamp: new Date(), attempts, body: message },
      ]);
    await consumeDispatches(batch(1), {
      ...env,
      MAIN: main(async () => {
        throw new Error('main worker unreachable');
      }),
    });
    await consumeDispatches(batch(2), {
      ...env,
      MAIN: main(async () => ({ ok: true, sessionId: 'sess-77', appended: true })),
    });

    const all = await rows(org.id, 4);
    const trace = await traceIdForThread(body.installation.id, thread);
    const accepted = all.filter((r) => r.kind === 'webhook_delivery' && r.reason === null);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]).toMatchObject({ status: 'ok', trace_id: trace });
    expect(accepted[0]!.summary).toContain(`accepted github issue_comment.created delivery ok-1 on ${thread}`);
    // The test queue's own consumer may deliver the message too (to the recording main worker, session `recorded`).
    const attempts = all.filter((r) => r.kind === 'dispatch' && r.session_id !== 'recorded');
    expect(attempts.map((a) => [a.status, a.reason, a.session_id])).toEqual([
      ['error', 'retried', null],
      ['ok', null, 'sess-77'],
    ]);
    expect(attempts.every((a) => a.trace_id === trace)).toBe(true);
    expect(JSON.stringify(all)).not.toContain(SECRET);
  });
});
