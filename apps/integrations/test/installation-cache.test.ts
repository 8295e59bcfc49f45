/**
 * The webhook route keeps the installation rows of recent deliveries (webhook-pipeline.ts) and trusts one only while
 * D1 confirms it unchanged in the same statement that records the delivery. Adversarially: once a delivery has
 * warmed the cache, an installation removed, disabled or given a new webhook secret is never served from it.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { sign } from '@octokit/webhooks-methods';
import examples from '@octokit/webhooks-examples';
import { describe, expect, it } from 'vitest';
import {
  deleteInstallation,
  findInstallation,
  listDeliveries,
  swapInstallationCredentials,
} from '@gatehouse/integrations-adapters-cf';
import { faultyD1 } from '@gatehouse/integrations-adapters-cf/testing';
import { createCredentialsCipher } from '@gatehouse/integrations-core';
import Worker from '../src/index.js';
import { db, installProvider, seedTenant } from './tenant.js';

/** The worker's fetch handler over `env` (its default export is a WorkerEntrypoint class). */
const workerFetch = (request: Request, e: Env, ctx: ExecutionContext) => new Worker(ctx, e).fetch(request);

// One binding for the whole file (the cache is per binding), counting every D1 execution and failing none.
const counting = faultyD1(env.AUTH_DB, () => false);

const SECRET = 'cache-webhook-secret';
const comment = (examples as unknown as { name: string; examples: Record<string, any>[] }[])
  .find((d) => d.name === 'issue_comment')!
  .examples.find((e) => e.action === 'created')!;

async function deliver(url: string, n: number, secret = SECRET) {
  const payload = structuredClone(comment);
  payload.issue.number = 90_000 + n;
  payload.comment.id = 91_000 + n;
  const body = JSON.stringify(payload);
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'issue_comment',
    'x-github-delivery': `cache-${n}`,
    'x-hub-signature-256': await sign(secret, body),
  };
  const ctx = createExecutionContext();
  const res = await workerFetch(
    new Request(url, { method: 'POST', headers, body }),
    { ...env, AUTH_DB: counting.d1 },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

async function warmInstallation(slug: string) {
  const { org, token } = await seedTenant(slug);
  const { res, body } = await installProvider(token, 'github', { credentials: { webhook_secret: SECRET } });
  expect(res.status).toBe(201);
  const tenant = { organizationId: org.id };
  // Two deliveries: the first reads the row and caches it, the second is served from the cache: one statement, the
  // insert that confirms the row.
  expect((await deliver(body.webhook_url, 1)).status).toBe(202);
  const before = counting.executions.length;
  expect((await deliver(body.webhook_url, 2)).status).toBe(202);
  const served = counting.executions.slice(before).map((e) => e.sql);
  expect(served).toHaveLength(1);
  expect(served[0]).toMatch(/INSERT INTO webhook_events[\s\S]*FROM installations i[\s\S]*ON CONFLICT DO NOTHING/);
  return { tenant, installationId: body.installation.id, url: body.webhook_url };
}

describe('installation rows cached by the webhook route', () => {
  it('an uninstalled installation answers 404 at once and records nothing', async () => {
    const { tenant, installationId, url } = await warmInstallation('cache-removed');
    expect(await deleteInstallation(db, tenant, installationId)).toBe(true);
    expect((await deliver(url, 3)).status).toBe(404);
    expect(await listDeliveries(db, tenant, installationId)).toEqual([]);
  });

  it('a disabled installation answers 404 at once', async () => {
    const { tenant, installationId, url } = await warmInstallation('cache-disabled');
    await env.AUTH_DB.prepare("update installations set status = 'pending' where id = ?").bind(installationId).run();
    expect((await deliver(url, 3)).status).toBe(404);
    expect((await listDeliveries(db, tenant, installationId)).map((d) => d.deliveryId).sort()).toEqual([
      'cache-1',
      'cache-2',
    ]);
  });

  it('a new webhook secret takes effect at once: the old one is refused, the new one accepted', async () => {
    const { tenant, installationId, url } = await warmInstallation('cache-rotated');
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    const row = await findInstallation(db, tenant, installationId);
    const swapped = await swapInstallationCredentials(db, tenant, {
      installationId,
      expected: row!.credentials,
      credentials: await cipher.encrypt({ webhook_secret: 'the-new-secret' }),
    });
    expect(swapped).toBe(true);
    expect((await deliver(url, 3)).status).toBe(401);
    expect((await listDeliveries(db, tenant, installationId)).map((d) => d.deliveryId)).not.toContain('cache-3');
    expect((await deliver(url, 4, 'the-new-secret')).status).toBe(202);
  });

  it('a redelivery served from the cache is still a duplicate', async () => {
    const { tenant, installationId, url } = await warmInstallation('cache-duplicate');
    const again = await deliver(url, 2);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect(await listDeliveries(db, tenant, installationId)).toHaveLength(2);
  });
});
