import { SELF, env } from 'cloudflare:test';
import { sign } from '@octokit/webhooks-methods';
import examples from '@octokit/webhooks-examples';
import { describe, expect, it } from 'vitest';
import { db, installProvider, seedTenant } from './tenant.js';
import {
  appendSessionDispatch,
  findInstallation,
  listDeliveries,
  setDeliveryStatus,
} from '@gatehouse/integrations-adapters-cf';
import { sessionDispatchSchema, verifyInternalMessage } from '@gatehouse/integrations-core';

const SECRET = 'github-webhook-secret-for-tests';

/** A real payload from @octokit/webhooks-examples. */
function example(name: string, action?: string): Record<string, any> {
  const def = (examples as unknown as { name: string; examples: Record<string, any>[] }[]).find(
    (d) => d.name === name,
  )!;
  return def.examples.find((e) => action === undefined || e.action === action)!;
}

async function installGithub(slug: string, credentials: Record<string, string> = { webhook_secret: SECRET }) {
  const { org, token } = await seedTenant(slug);
  const { res, body } = await installProvider(token, 'github', { credentials });
  expect(res.status).toBe(201);
  return { org, token, installationId: body.installation.id, webhookUrl: body.webhook_url };
}

async function deliver(url: string, payload: string, headers: Record<string, string>) {
  return SELF.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: payload,
  });
}

async function dispatches(): Promise<{ body: string; signature: string | null }[]> {
  await env.AUTH_DB.prepare('create table if not exists test_dispatches (body text not null, signature text)').run();
  return (
    await env.AUTH_DB.prepare('select body, signature from test_dispatches').all<{
      body: string;
      signature: string | null;
    }>()
  ).results;
}

/** Waits for waitUntil work (the dispatch) to land, bounded. */
async function settle<T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 50; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  return read();
}

describe('GitHub webhook → session dispatch', () => {
  it('caps a huge comment before the queue (128 KB messages): accepted and dispatched as a capped event', async () => {
    const { installationId, webhookUrl } = await installGithub('gh-huge');
    const p = example('issue_comment', 'created') as { comment: { body: string } };
    p.comment.body = `${p.comment.body} ${'🦀 long log line '.repeat(20_000)}`;
    const payload = JSON.stringify(p);
    expect(payload.length).toBeGreaterThan(300_000);
    const before = (await dispatches()).length;
    const res = await deliver(webhookUrl, payload, {
      'x-github-event': 'issue_comment',
      'x-github-delivery': 'delivery-huge',
      'x-hub-signature-256': await sign(SECRET, payload),
    });
    expect(res.status).toBe(202);
    const sent = await settle(dispatches, (d) => d.length > before);
    const dispatch = sessionDispatchSchema.parse(JSON.parse(sent.at(-1)!.body));
    expect(dispatch.dispatchId).toBe(`github:${installationId}:delivery-huge`);
    expect(new TextEncoder().encode(JSON.stringify(dispatch.event.data)).length).toBeLessThanOrEqual(32 * 1024);
    expect(dispatch.event.data).toMatchObject({
      data_truncated: true,
      comment_body: expect.stringMatching(/…\[truncated\]$/),
    });
    expect(dispatch.event.data.data_bytes).toBeGreaterThan(300_000);
  });

  it('verifies a real issue_comment payload, records it once and dispatches one signed SessionDispatch', async () => {
    const { org, installationId, webhookUrl } = await installGithub('gh-ok');
    expect(webhookUrl).toBe(`http://integrations.test/webhook/github/${installationId}`);
    const payload = JSON.stringify(example('issue_comment', 'created'));
    const headers = {
      'x-github-event': 'issue_comment',
      'x-github-delivery': 'delivery-1',
      'x-hub-signature-256': await sign(SECRET, payload),
    };
    const before = (await dispatches()).length;

    const first = await deliver(webhookUrl, payload, headers);
    expect(first.status).toBe(202);
    const sent = await settle(dispatches, (d) => d.length > before);
    expect(sent.length).toBe(before + 1);
    const last = sent.at(-1)!;
    expect(
      await verifyInternalMessage(env.MCP_SIGNING_KEY, 'session-dispatch', JSON.parse(last.signature ?? 'null')),
    ).toEqual({ ok: true });
    const dispatch = sessionDispatchSchema.parse(JSON.parse(last.body));
    const p = JSON.parse(payload);
    expect(dispatch).toMatchObject({
      dispatchId: `github:${installationId}:delivery-1`,
      organizationId: org.id,
      installationId,
      provider: 'github',
      threadKey: `${p.repository.full_name}#${p.issue.number}`,
      event: { name: 'issue_comment.created', actor: p.sender.login },
    });

    // Redelivery (GitHub's "Redeliver" sends the same X-GitHub-Delivery): acknowledged, not dispatched again.
    const again = await deliver(webhookUrl, payload, headers);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    await new Promise((r) => setTimeout(r, 100));
    expect((await dispatches()).length).toBe(before + 1);
    const rows = await listDeliveries(db, { organizationId: org.id }, installationId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ deliveryId: 'delivery-1', status: 'dispatched' });
  });

  it('queues a redelivery again when the earlier dispatch failed (dead-lettered)', async () => {
    const { org, installationId, webhookUrl } = await installGithub('gh-refail');
    const payload = JSON.stringify(example('issues', 'opened'));
    const headers = {
      'x-github-event': 'issues',
      'x-github-delivery': 'delivery-refail',
      'x-hub-signature-256': await sign(SECRET, payload),
    };
    const before = (await dispatches()).length;
    expect((await deliver(webhookUrl, payload, headers)).status).toBe(202);
    await settle(dispatches, (d) => d.length > before);
    const [row] = await listDeliveries(db, { organizationId: org.id }, installationId);
    await setDeliveryStatus(db, { organizationId: org.id }, row!.id, 'failed');
    expect((await deliver(webhookUrl, payload, headers)).status).toBe(202);
    const sent = await settle(dispatches, (d) => d.length > before + 1);
    expect(sent.length).toBe(before + 2);
    expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toHaveLength(1);
  });

  it.each([
    ['a forged signature', async (p: string) => sign('not-the-secret', p)],
    ['a signature of another body', async (p: string) => sign(SECRET, `${p} `)],
    ['a sha1 signature', async () => 'sha1=0000000000000000000000000000000000000000'],
    ['a truncated signature', async (p: string) => (await sign(SECRET, p)).slice(0, 40)],
    ['no signature', async () => null],
  ])('refuses %s with 401 and stores nothing', async (_label, makeSignature) => {
    const { org, installationId, webhookUrl } = await installGithub(`gh-bad-${_label.replace(/\W+/g, '-')}`);
    const payload = JSON.stringify(example('issues', 'opened'));
    const signature = await makeSignature(payload);
    const before = (await dispatches()).length;
    const res = await deliver(webhookUrl, payload, {
      'x-github-event': 'issues',
      'x-github-delivery': 'delivery-x',
      ...(signature ? { 'x-hub-signature-256': signature } : {}),
    });
    expect(res.status).toBe(401);
    expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect((await dispatches()).length).toBe(before);
  });

  it('accepts the previous secret during rotation', async () => {
    const { webhookUrl } = await installGithub('gh-rotate', {
      webhook_secret: 'new-secret',
      previous_webhook_secret: SECRET,
    });
    const payload = JSON.stringify(example('issues', 'opened'));
    const res = await deliver(webhookUrl, payload, {
      'x-github-event': 'issues',
      'x-github-delivery': 'delivery-rot',
      'x-hub-signature-256': await sign(SECRET, payload),
    });
    expect(res.status).toBe(202);
  });

  it('acknowledges events without a thread as ignored and dispatches nothing', async () => {
    const { org, installationId, webhookUrl } = await installGithub('gh-ignored');
    const payload = JSON.stringify(example('star'));
    const before = (await dispatches()).length;
    const res = await deliver(webhookUrl, payload, {
      'x-github-event': 'star',
      'x-github-delivery': 'delivery-star',
      'x-hub-signature-256': await sign(SECRET, payload),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ ignored: true });
    expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toMatchObject([{ status: 'ignored' }]);
    await new Promise((r) => setTimeout(r, 50));
    expect((await dispatches()).length).toBe(before);
  });

  it('requires X-GitHub-Delivery on a validly signed request', async () => {
    const { webhookUrl } = await installGithub('gh-nodelivery');
    const payload = JSON.stringify(example('issues', 'opened'));
    const res = await deliver(webhookUrl, payload, {
      'x-github-event': 'issues',
      'x-hub-signature-256': await sign(SECRET, payload),
    });
    expect(res.status).toBe(400);
  });

  it('does not accept one installation’s signature on another installation’s URL', async () => {
    const a = await installGithub('gh-cross-a', { webhook_secret: 'secret-a' });
    const b = await installGithub('gh-cross-b', { webhook_secret: 'secret-b' });
    const payload = JSON.stringify(example('issues', 'opened'));
    const res = await deliver(b.webhookUrl, payload, {
      'x-github-event': 'issues',
      'x-github-delivery': 'delivery-cross',
      'x-hub-signature-256': await sign('secret-a', payload),
    });
    expect(res.status).toBe(401);
    expect(await listDeliveries(db, { organizationId: b.org.id }, b.installationId)).toEqual([]);
    expect(a.installationId).not.toBe(b.installationId);
  });

  it('answers 404 for an unknown installation or provider', async () => {
    const payload = '{}';
    expect((await deliver('http://integrations.test/webhook/github/nope', payload, {})).status).toBe(404);
    expect((await deliver('http://integrations.test/webhook/nope/nope', payload, {})).status).toBe(404);
  });
});

describe('registry and install', () => {
  it('GET /v1/integrations lists each provider with its install type, scopes and webhook URL', async () => {
    const res = await SELF.fetch('http://integrations.test/v1/integrations');
    const body = (await res.json()) as {
      integrations: {
        id: string;
        install: { type: string; url: string; oauth: { scopes: string[]; callback_url: string } | null };
        webhook_url_template: string;
        publication_scopes: { name: string }[];
      }[];
    };
    expect(body.integrations.map((i) => i.id)).toEqual(['github', 'linear', 'slack', 'custom']);
    for (const i of body.integrations.filter((x) => x.id !== 'custom')) {
      expect(i.install).toMatchObject({
        type: 'oauth',
        url: `http://integrations.test/install/${i.id}`,
        oauth: { callback_url: `http://integrations.test/install/${i.id}/callback` },
      });
      expect(i.install.oauth!.scopes.length).toBeGreaterThan(0);
      expect(i.webhook_url_template).toBe(`http://integrations.test/webhook/${i.id}/{installation_id}`);
      expect(i.publication_scopes.length).toBeGreaterThan(0);
    }
    expect(body.integrations.find((i) => i.id === 'slack')!.install.oauth!.scopes).toContain('chat:write');
    // The custom provider serves catalog templates: installed with install_integration, webhooks at the same route.
    const custom = body.integrations.find((i) => i.id === 'custom')!;
    expect(custom).toMatchObject({
      install: { type: 'credentials', oauth: null },
      webhook_url_template: 'http://integrations.test/webhook/custom/{installation_id}',
      publication_scopes: [],
    });
    const { token } = await seedTenant(`custom-install-${crypto.randomUUID().slice(0, 8)}`);
    const post = await SELF.fetch('http://integrations.test/install/custom', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credentials: {} }),
    });
    expect(post.status).toBe(400);
    expect(await post.json()).toMatchObject({
      error: 'install_elsewhere',
      message: expect.stringMatching(/install_integration/),
    });
  });

  it('refuses an install without a token, or with missing or unknown credentials, and stores no secret in clear', async () => {
    const noToken = await SELF.fetch('http://integrations.test/install/github', { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const { org, token } = await installGithub('gh-install');
    const bad = await SELF.fetch('http://integrations.test/install/github', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ credentials: { secret: 'x' } }),
    });
    expect(bad.status).toBe(400);
    const { message } = (await bad.json()) as { message: string };
    expect(message).toMatch(/missing credential "webhook_secret"/);
    expect(message).toMatch(/unknown credential "secret"/);
    const rows = await env.AUTH_DB.prepare('select credentials from installations where organization_id = ?')
      .bind(org.id)
      .all<{ credentials: string }>();
    expect(rows.results).toHaveLength(1);
    expect(rows.results[0]!.credentials).not.toContain(SECRET);
  });
});

describe('GitHub: what addresses the agent (app_login set)', () => {
  async function send(
    installation: Awaited<ReturnType<typeof installGithub>>,
    event: string,
    payload: Record<string, any>,
    delivery: string,
  ) {
    const raw = JSON.stringify(payload);
    return deliver(installation.webhookUrl, raw, {
      'x-github-event': event,
      'x-github-delivery': delivery,
      'x-hub-signature-256': await sign(SECRET, raw),
    });
  }

  it('dispatches a comment mentioning the app, a review requested from it, and ignores other comments', async () => {
    const inst = await installGithub('gh-mentions', { webhook_secret: SECRET, app_login: 'gatehouse-bot' });
    const comment = structuredClone(example('issue_comment', 'created'));
    comment.comment.body = 'Hey @gatehouse-bot, can you take this?';
    expect(await (await send(inst, 'issue_comment', comment, 'm-1')).json()).toMatchObject({ accepted: true });

    const chatter = structuredClone(example('issue_comment', 'created'));
    chatter.comment.body = 'cc @gatehouse-bot-fan and @someone-else';
    expect(await (await send(inst, 'issue_comment', chatter, 'm-2')).json()).toMatchObject({ ignored: true });

    const review = structuredClone(example('pull_request', 'review_requested'));
    review.requested_reviewer = { ...(review.requested_reviewer ?? {}), login: 'gatehouse-bot' };
    expect(await (await send(inst, 'pull_request', review, 'm-3')).json()).toMatchObject({ accepted: true });

    const otherReview = structuredClone(example('pull_request', 'review_requested'));
    otherReview.requested_reviewer = { ...(otherReview.requested_reviewer ?? {}), login: 'octocat' };
    expect(await (await send(inst, 'pull_request', otherReview, 'm-4')).json()).toMatchObject({ ignored: true });

    const rows = await listDeliveries(db, { organizationId: inst.org.id }, inst.installationId);
    expect(Object.fromEntries(rows.map((r) => [r.deliveryId, r.status === 'ignored' ? 'ignored' : 'session']))).toEqual(
      {
        'm-1': 'session',
        'm-2': 'ignored',
        'm-3': 'session',
        'm-4': 'ignored',
      },
    );
  });

  it('closes the session of a closed (merged) pull request and reactivates it on reopen, whoever they address', async () => {
    const inst = await installGithub('gh-lifecycle', { webhook_secret: SECRET, app_login: 'gatehouse-bot' });
    const closed = structuredClone(example('pull_request', 'closed'));
    closed.pull_request.merged = true;
    const threadKey = `${closed.repository.full_name}#${closed.pull_request.number}`;
    // The thread already has a session (the agent was asked to review earlier).
    await appendSessionDispatch(
      db,
      { organizationId: inst.org.id },
      {
        dispatchId: `github:${inst.installationId}:seed`,
        organizationId: inst.org.id,
        workspaceId: null,
        installationId: inst.installationId,
        provider: 'github',
        threadKey,
        title: closed.pull_request.title,
        event: { name: 'pull_request.review_requested', actor: 'octocat', summary: 's', data: {} },
      },
    );
    // Dispatches of this installation's deliveries, by delivery id (other tests' dispatches may still be landing).
    const dispatchOf = async (delivery: string) => {
      const id = `github:${inst.installationId}:${delivery}`;
      const find = (rows: { body: string }[]) =>
        rows.map((d) => sessionDispatchSchema.parse(JSON.parse(d.body))).filter((d) => d.dispatchId === id);
      return find(await settle(dispatches, (rows) => find(rows).length > 0));
    };
    expect(await (await send(inst, 'pull_request', closed, 'l-1')).json()).toMatchObject({ accepted: true });
    const [close, ...more] = await dispatchOf('l-1');
    expect(more).toEqual([]);
    expect(close).toMatchObject({
      threadKey,
      closesThread: true,
      event: { name: 'pull_request.closed', data: { merged: true } },
    });
    expect(close!.event.summary).toContain(`merged ${threadKey}`);

    const reopened = structuredClone(example('pull_request', 'reopened'));
    reopened.repository = closed.repository;
    reopened.pull_request.number = closed.pull_request.number;
    expect(await (await send(inst, 'pull_request', reopened, 'l-2')).json()).toMatchObject({ accepted: true });
    expect(await dispatchOf('l-2')).toMatchObject([
      { threadKey, closesThread: false, event: { name: 'pull_request.reopened' } },
    ]);

    // Closing a pull request that never had a session starts none: it waits as a continuation, nothing is sent.
    const stranger = structuredClone(closed);
    stranger.pull_request.number = 424242;
    expect(await (await send(inst, 'pull_request', stranger, 'l-3')).json()).toMatchObject({ accepted: true });
    await new Promise((r) => setTimeout(r, 300));
    expect((await dispatches()).filter((d) => d.body.includes(`"github:${inst.installationId}:l-3"`))).toEqual([]);
    const rows = await listDeliveries(db, { organizationId: inst.org.id }, inst.installationId);
    expect(rows.find((r) => r.deliveryId === 'l-3')?.status).toBe('received');
  });
});

describe('connection health of webhooks', () => {
  it('counts deliveries refused for their signature in a row, and clears the count when one verifies', async () => {
    const { org, installationId, webhookUrl } = await installGithub('gh-signature-health');
    const payload = JSON.stringify(example('issues', 'opened'));
    const health = async () => (await findInstallation(db, { organizationId: org.id }, installationId))?.health;
    for (let i = 0; i < 3; i++) {
      const res = await deliver(webhookUrl, payload, {
        'x-github-event': 'issues',
        'x-github-delivery': `bad-${i}`,
        'x-hub-signature-256': await sign('the-secret-github-rotated-to', payload),
      });
      expect(res.status).toBe(401);
    }
    const counted = await settle(health, (h) => h?.webhookSignatureFailures === 3);
    expect(counted).toMatchObject({ webhookSignatureFailures: 3 });
    expect(counted?.lastWebhookSignatureFailureAt).toBeGreaterThan(0);

    const ok = await deliver(webhookUrl, payload, {
      'x-github-event': 'issues',
      'x-github-delivery': 'good-after-bad',
      'x-hub-signature-256': await sign(SECRET, payload),
    });
    expect(ok.status).toBe(202);
    const cleared = await settle(health, (h) => h?.webhookSignatureFailures === undefined);
    expect(cleared?.webhookSignatureFailures).toBeUndefined();
  });
});
