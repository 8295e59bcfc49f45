/**
 * The contract suite every provider runs on real payloads: a bad signature → 401 and nothing stored; a stale
 * timestamp → 401 (vendors that sign one); a valid delivery → exactly one dispatch; a redelivery → no second dispatch;
 * an event that should not start a session → acknowledged and recorded as ignored; a reused, expired or foreign
 * OAuth install state → refused. (Tools listed by the main worker: packages/e2e, per provider.)
 */
import { SELF, env } from 'cloudflare:test';
import examples from '@octokit/webhooks-examples';
import { sign } from '@octokit/webhooks-methods';
import { describe, expect, it } from 'vitest';
import { db, installProvider, seedTenant } from './tenant.js';
import { PROVIDERS } from '../src/providers.js';
import { appendSessionDispatch, createInstallation, listDeliveries } from '@gatehouse/integrations-adapters-cf';
import { Webhook } from 'standardwebhooks';
import { createCredentialsCipher, hmacSha256Hex, sessionDispatchSchema } from '@gatehouse/integrations-core';
import {
  LINEAR_APP_USER_ID,
  linearCommentMention,
  linearIssueAssigned,
  linearIssueStateChanged,
} from './fixtures/linear.js';
import {
  SLACK_BOT_USER_ID,
  slackAppMention,
  slackChannelMessage,
  slackThreadReply,
  slackUrlVerification,
} from './fixtures/slack.js';

const SECRET = 'contract-signing-secret';

interface Signed {
  body: string;
  headers: Record<string, string>;
}

interface ProviderCase {
  id: string;
  credentials: Record<string, string>;
  /** A delivery that must start a session, signed with `secret` at time `now` (ms). */
  valid(deliveryId: string, secret: string, now: number): Promise<Signed>;
  /** A verified delivery that must be ignored. */
  ignored(deliveryId: string, secret: string, now: number): Promise<Signed>;
  /** The app fields of an OAuth install (`mode: "oauth"`), for providers that have one. */
  oauthApp?: Record<string, string>;
  /** Installed as a catalog template (the custom provider) rather than through POST /install/<id>. */
  template?: string;
  /** Whether the vendor signs a timestamp (then a stale one must be refused). */
  timestamped: boolean;
  /** The thread key the valid delivery dispatches to (custom thread keys are scoped by the installation). */
  expectedThread: string | ((installationId: string) => string);
}

const threadOf = (c: ProviderCase, installationId: string) =>
  typeof c.expectedThread === 'string' ? c.expectedThread : c.expectedThread(installationId);

function ghExample(name: string, action?: string): Record<string, any> {
  const def = (examples as unknown as { name: string; examples: Record<string, any>[] }[]).find(
    (d) => d.name === name,
  )!;
  return def.examples.find((e) => action === undefined || e.action === action)!;
}

const slackSigned = async (
  payload: unknown,
  secret: string,
  now: number,
  extra: Record<string, string> = {},
): Promise<Signed> => {
  const body = JSON.stringify(payload);
  const ts = String(Math.floor(now / 1000));
  return {
    body,
    headers: {
      'x-slack-request-timestamp': ts,
      'x-slack-signature': `v0=${await hmacSha256Hex(secret, `v0:${ts}:${body}`)}`,
      ...extra,
    },
  };
};

// Standard Webhooks secrets are whsec_ + base64; the contract's shared SECRET stands for it in the custom case.
const STANDARD_SECRET = `whsec_${btoa(SECRET)}`;
const standardSigned = async (payload: unknown, id: string, secret: string, now: number): Promise<Signed> => {
  const body = JSON.stringify(payload);
  const key = secret === SECRET ? STANDARD_SECRET : `whsec_${btoa(secret)}`;
  return {
    body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now / 1000)),
      'webhook-signature': new Webhook(key).sign(id, new Date(now), body),
    },
  };
};

const CASES: ProviderCase[] = [
  {
    id: 'github',
    credentials: { webhook_secret: SECRET },
    oauthApp: { app_id: '1', app_slug: 'gatehouse-agent', private_key: 'unused', webhook_secret: SECRET },
    timestamped: false,
    expectedThread: `${ghExample('issue_comment', 'created').repository.full_name}#${ghExample('issue_comment', 'created').issue.number}`,
    async valid(deliveryId, secret) {
      const body = JSON.stringify(ghExample('issue_comment', 'created'));
      return {
        body,
        headers: {
          'x-github-event': 'issue_comment',
          'x-github-delivery': deliveryId,
          'x-hub-signature-256': await sign(secret, body),
        },
      };
    },
    async ignored(deliveryId, secret) {
      const body = JSON.stringify(ghExample('star'));
      return {
        body,
        headers: {
          'x-github-event': 'star',
          'x-github-delivery': deliveryId,
          'x-hub-signature-256': await sign(secret, body),
        },
      };
    },
  },
  {
    id: 'linear',
    credentials: { webhook_secret: SECRET, app_user_id: LINEAR_APP_USER_ID, app_user_name: 'gatehouse' },
    oauthApp: {
      client_id: 'c',
      client_secret: 's',
      webhook_secret: SECRET,
      app_user_id: LINEAR_APP_USER_ID,
      app_user_name: 'gatehouse',
    },
    timestamped: true,
    expectedThread: '9c8b7a6f-5e4d-4c3b-a2f1-e0d9c8b7a6f5',
    async valid(deliveryId, secret, now) {
      const body = JSON.stringify(linearIssueAssigned(now));
      return {
        body,
        headers: {
          'linear-delivery': deliveryId,
          'linear-event': 'Issue',
          'linear-signature': await hmacSha256Hex(secret, body),
        },
      };
    },
    async ignored(deliveryId, secret, now) {
      const payload = linearIssueAssigned(now);
      payload.data.assigneeId = 'someone-else';
      const body = JSON.stringify(payload);
      return {
        body,
        headers: {
          'linear-delivery': deliveryId,
          'linear-event': 'Issue',
          'linear-signature': await hmacSha256Hex(secret, body),
        },
      };
    },
  },
  {
    id: 'custom',
    template: 'jira-cloud',
    credentials: { email: 'agent@acme.test', api_token: 'jira-token', webhook_secret: STANDARD_SECRET },
    timestamped: true,
    expectedThread: (installationId) => `${installationId}/TCK-42`,
    valid: async (deliveryId, secret, now) =>
      standardSigned(
        { type: 'ticket.assigned', thread: { key: 'TCK-42', title: 'Printer on fire' }, actor: 'ada' },
        deliveryId,
        secret,
        now,
      ),
    ignored: async (deliveryId, secret, now) => standardSigned({ type: 'ping' }, deliveryId, secret, now),
  },
  {
    id: 'slack',
    credentials: { signing_secret: SECRET, bot_user_id: SLACK_BOT_USER_ID },
    oauthApp: { client_id: 'c', client_secret: 's', signing_secret: SECRET },
    timestamped: true,
    expectedThread: 'C123ABC456:1515449522.000016',
    valid: (deliveryId, secret, now) => slackSigned(slackAppMention(deliveryId), secret, now),
    ignored: (deliveryId, secret, now) => slackSigned(slackChannelMessage(deliveryId), secret, now),
  },
];

async function install(provider: string, credentials: Record<string, string>, template?: string) {
  const slug = `contract-${provider}-${crypto.randomUUID().slice(0, 8)}`;
  const { org, user, token } = await seedTenant(slug);
  if (template) {
    // As install_integration (main worker) stores a template installation with "webhooks": true.
    const cipher = createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);
    const row = await createInstallation(
      db,
      { organizationId: org.id },
      {
        kind: 'template',
        source: template,
        title: 'Tickets',
        scope: 'global',
        workspaceId: null,
        settings: { site_url: 'https://acme.atlassian.net' },
        credentials: await cipher.encrypt(credentials),
        createdBy: user.id,
      },
    );
    return { org, installationId: row.id, url: `http://integrations.test/webhook/${provider}/${row.id}` };
  }
  const { res, body } = await installProvider(token, provider, { credentials });
  expect(res.status).toBe(201);
  return { org, installationId: body.installation.id, url: body.webhook_url };
}

const deliver = (url: string, s: Signed) =>
  SELF.fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...s.headers }, body: s.body });

async function dispatchesFor(threadKey: string, organizationId: string) {
  await env.AUTH_DB.prepare('create table if not exists test_dispatches (body text not null, signature text)').run();
  const rows = (await env.AUTH_DB.prepare('select body from test_dispatches').all<{ body: string }>()).results;
  return rows
    .map((r) => sessionDispatchSchema.parse(JSON.parse(r.body)))
    .filter((d) => d.threadKey === threadKey && d.organizationId === organizationId);
}

async function settle<T>(read: () => Promise<T[]>, count: number): Promise<T[]> {
  for (let i = 0; i < 100; i++) {
    const v = await read();
    if (v.length >= count) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  return read();
}

describe.each(CASES)('provider contract: $id', (c) => {
  it('refuses a bad signature with 401 and stores nothing', async () => {
    const { org, installationId, url } = await install(c.id, c.credentials, c.template);
    const res = await deliver(url, await c.valid('bad-sig-1', 'not-the-secret', Date.now()));
    expect(res.status).toBe(401);
    expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toEqual([]);
  });

  it('turns a valid delivery into exactly one dispatch, and a redelivery into none', async () => {
    const { org, installationId, url } = await install(c.id, c.credentials, c.template);
    const thread = threadOf(c, installationId);
    const signed = await c.valid(`valid-${crypto.randomUUID()}`, SECRET, Date.now());
    expect((await deliver(url, signed)).status).toBe(202);
    const sent = await settle(() => dispatchesFor(thread, org.id), 1);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ provider: c.id, threadKey: thread, organizationId: org.id });
    // The vendor redelivers the same delivery (re-signed now).
    const again = await deliver(
      url,
      await c.valid(sent[0]!.dispatchId.split(':').slice(2).join(':'), SECRET, Date.now()),
    );
    expect(again.status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    expect(await dispatchesFor(thread, org.id)).toHaveLength(1);
  });

  it('publishes its tools, as the main worker lists them, in GET /v1/integrations', async () => {
    const provider = PROVIDERS.find((p) => p.id === c.id)!;
    const res = await SELF.fetch('http://integrations.test/v1/integrations');
    const listed = (
      (await res.json()) as {
        integrations: {
          id: string;
          tools: { name: string; inputSchema: { type: string }; publication_scope: string | null }[];
        }[];
      }
    ).integrations.find((i) => i.id === c.id)!;
    expect(listed.tools.map((t) => t.name)).toEqual(provider.tools.map((t) => t.name));
    for (const t of listed.tools) {
      expect(t.name).toMatch(new RegExp(`^mcp_${c.id}_[a-z_]+$`));
      expect(t.inputSchema.type).toBe('object');
    }
    // Code providers write somewhere; the custom provider's tools are its templates' (listed from the catalog).
    if (c.id !== 'custom') expect(listed.tools.some((t) => t.publication_scope !== null)).toBe(true);
  });

  it('acknowledges an event that starts no session and records it as ignored', async () => {
    const { org, installationId, url } = await install(c.id, c.credentials, c.template);
    const res = await deliver(url, await c.ignored(`ignored-${crypto.randomUUID()}`, SECRET, Date.now()));
    expect(res.status).toBe(202);
    expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toMatchObject([{ status: 'ignored' }]);
  });
});

describe.each(CASES.filter((c) => c.oauthApp))('provider contract, OAuth install state: $id', (c) => {
  async function startOAuth(slug: string) {
    const { org, token } = await seedTenant(`${slug}-${crypto.randomUUID().slice(0, 8)}`);
    const { res, body } = await installProvider(token, c.id, { mode: 'oauth', credentials: c.oauthApp });
    expect(res.status).toBe(201);
    return { org, state: new URL(body.authorization_url).searchParams.get('state')! };
  }
  const callback = (query: string) => SELF.fetch(`http://integrations.test/install/${c.id}/callback?${query}`);

  it('refuses a reused state', async () => {
    const { state } = await startOAuth(`state-reuse-${c.id}`);
    // The first use consumes it (here the person declined at the vendor)…
    const first = await callback(`error=access_denied&state=${state}`);
    expect(await first.text()).toMatch(/declined/);
    // …so the same state is refused whatever it carries.
    const again = await callback(`code=anything&installation_id=1&state=${state}`);
    expect(again.status).toBe(400);
    expect(await again.text()).toMatch(/expired or was already used/);
  });

  it('refuses an expired state', async () => {
    const { org, state } = await startOAuth(`state-expired-${c.id}`);
    await env.AUTH_DB.prepare('update oauth_state set expires_at = ? where organization_id = ?')
      .bind(Date.now() - 1, org.id)
      .run();
    const res = await callback(`code=anything&installation_id=1&state=${state}`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/expired or was already used/);
  });

  it('refuses a state issued for another provider', async () => {
    const other = CASES.find((o) => o.id !== c.id && o.oauthApp)!;
    const { token } = await seedTenant(`state-cross-${c.id}-${crypto.randomUUID().slice(0, 8)}`);
    const { body } = await installProvider(token, other.id, { mode: 'oauth', credentials: other.oauthApp });
    const res = await callback(
      `code=anything&installation_id=1&state=${new URL(body.authorization_url).searchParams.get('state')}`,
    );
    expect(res.status).toBe(400);
  });
});

describe.each(CASES.filter((c) => c.timestamped))('provider contract, signed timestamps: $id', (c) => {
  it('refuses a stale timestamp with 401 and stores nothing', async () => {
    const { org, installationId, url } = await install(c.id, c.credentials, c.template);
    const res = await deliver(url, await c.valid('stale-1', SECRET, Date.now() - 10 * 60 * 1000));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('stale_timestamp');
    expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toEqual([]);
  });
});

describe('vendor specifics', () => {
  it('Slack: answers url_verification with the challenge only after the signature checks out', async () => {
    const { url } = await install('slack', { signing_secret: SECRET, bot_user_id: SLACK_BOT_USER_ID });
    const forged = await deliver(url, await slackSigned(slackUrlVerification, 'wrong', Date.now()));
    expect(forged.status).toBe(401);
    expect(await forged.text()).not.toContain(slackUrlVerification.challenge);
    const res = await deliver(url, await slackSigned(slackUrlVerification, SECRET, Date.now()));
    expect(await res.json()).toEqual({ challenge: slackUrlVerification.challenge });
  });

  it('Slack: a retry (X-Slack-Retry-Num) of the same event_id dispatches nothing more', async () => {
    const { org, url } = await install('slack', { signing_secret: SECRET, bot_user_id: SLACK_BOT_USER_ID });
    const eventId = `Ev${crypto.randomUUID().slice(0, 8)}`;
    expect((await deliver(url, await slackSigned(slackAppMention(eventId), SECRET, Date.now()))).status).toBe(202);
    await settle(() => dispatchesFor('C123ABC456:1515449522.000016', org.id), 1);
    const retry = await deliver(
      url,
      await slackSigned(slackAppMention(eventId), SECRET, Date.now(), {
        'x-slack-retry-num': '1',
        'x-slack-retry-reason': 'http_timeout',
      }),
    );
    expect(retry.status).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    expect(await dispatchesFor('C123ABC456:1515449522.000016', org.id)).toHaveLength(1);
  });

  it('Slack: a thread reply continues a session the app was mentioned in; one in a thread without a session waits to be checked again', async () => {
    const { org, installationId, url } = await install('slack', {
      signing_secret: SECRET,
      bot_user_id: SLACK_BOT_USER_ID,
    });
    const thread = 'C123ABC456:1515449522.000016';
    // Before any session: the reply is held back (queued with a delay for the consumer's re-check), not dispatched.
    expect((await deliver(url, await slackSigned(slackThreadReply('EvReplyEarly'), SECRET, Date.now()))).status).toBe(
      202,
    );
    expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toMatchObject([
      { deliveryId: 'EvReplyEarly', status: 'received' },
    ]);
    expect((await deliver(url, await slackSigned(slackAppMention('EvMention'), SECRET, Date.now()))).status).toBe(202);
    await settle(() => dispatchesFor(thread, org.id), 1);
    // The stand-in main worker records dispatches; give the thread the session the real one would create.
    await appendSessionDispatch(db, { organizationId: org.id }, (await dispatchesFor(thread, org.id))[0]!);
    expect((await deliver(url, await slackSigned(slackThreadReply('EvReply'), SECRET, Date.now()))).status).toBe(202);
    const sent = await settle(() => dispatchesFor(thread, org.id), 2);
    expect(sent.map((d) => d.event.name)).toEqual(['app_mention', 'message']);
    // A reply that mentions the app is carried by its app_mention alone.
    const mentioning = slackThreadReply('EvReplyMentioning');
    mentioning.event.text = `<@${SLACK_BOT_USER_ID}> and one more thing`;
    expect((await deliver(url, await slackSigned(mentioning, SECRET, Date.now()))).status).toBe(202);
    await new Promise((r) => setTimeout(r, 150));
    expect(await dispatchesFor(thread, org.id)).toHaveLength(2);
    expect(
      (await listDeliveries(db, { organizationId: org.id }, installationId)).find(
        (d) => d.deliveryId === 'EvReplyMentioning',
      )?.status,
    ).toBe('ignored');
    // Two trips through the dispatch queue (each waits out its 1 s batch timeout): ~2.3 s alone, more on a busy
    // machine than vitest's 5 s default allows.
  }, 15_000);

  it.each(['github', 'linear'])(
    '%s: the same signed body under a new delivery id (a replay; the id header is unsigned) dispatches nothing more',
    async (id) => {
      const c = CASES.find((x) => x.id === id)!;
      const { org, installationId, url } = await install(c.id, c.credentials);
      const thread = threadOf(c, installationId);
      const signed = await c.valid(`first-${crypto.randomUUID()}`, SECRET, Date.now());
      expect((await deliver(url, signed)).status).toBe(202);
      await settle(() => dispatchesFor(thread, org.id), 1);
      const idHeader = id === 'github' ? 'x-github-delivery' : 'linear-delivery';
      const replay = await deliver(url, {
        body: signed.body,
        headers: { ...signed.headers, [idHeader]: `replayed-${crypto.randomUUID()}` },
      });
      expect(replay.status).toBe(200);
      await new Promise((r) => setTimeout(r, 150));
      expect(await dispatchesFor(thread, org.id)).toHaveLength(1);
      expect(await listDeliveries(db, { organizationId: org.id }, installationId)).toHaveLength(1);
    },
  );

  it('Linear: a comment mentioning the agent continues the issue’s session', async () => {
    const { org, url } = await install('linear', {
      webhook_secret: SECRET,
      app_user_id: LINEAR_APP_USER_ID,
      app_user_name: 'gatehouse',
    });
    const body = JSON.stringify(linearCommentMention(Date.now()));
    const res = await deliver(url, {
      body,
      headers: { 'linear-delivery': crypto.randomUUID(), 'linear-signature': await hmacSha256Hex(SECRET, body) },
    });
    expect(res.status).toBe(202);
    const sent = await settle(() => dispatchesFor('9c8b7a6f-5e4d-4c3b-a2f1-e0d9c8b7a6f5', org.id), 1);
    expect(sent[0]).toMatchObject({ event: { name: 'Comment.create', actor: 'Ada Lovelace' } });
  });

  it('Linear: completed or canceled closes the issue’s session, another state reactivates it, and no session is started', async () => {
    const { org, installationId, url } = await install('linear', {
      webhook_secret: SECRET,
      app_user_id: LINEAR_APP_USER_ID,
      app_user_name: 'gatehouse',
    });
    const issueId = '9c8b7a6f-5e4d-4c3b-a2f1-e0d9c8b7a6f5';
    const send = async (state: { name: string; type: string }, delivery: string) => {
      const body = JSON.stringify(linearIssueStateChanged(Date.now(), state));
      return deliver(url, {
        body,
        headers: { 'linear-delivery': delivery, 'linear-signature': await hmacSha256Hex(SECRET, body) },
      });
    };
    // No session yet: a state change waits as a continuation and dispatches nothing.
    expect((await send({ name: 'Done', type: 'completed' }, 'st-0')).status).toBe(202);
    await new Promise((r) => setTimeout(r, 150));
    expect(await dispatchesFor(issueId, org.id)).toHaveLength(0);

    await appendSessionDispatch(
      db,
      { organizationId: org.id },
      {
        dispatchId: `linear:${installationId}:seed`,
        organizationId: org.id,
        workspaceId: null,
        installationId,
        provider: 'linear',
        threadKey: issueId,
        title: 'Login fails on Safari',
        event: { name: 'Issue.update', actor: 'Ada Lovelace', summary: 'assigned', data: {} },
      },
    );
    expect((await send({ name: 'Done', type: 'completed' }, 'st-1')).status).toBe(202);
    expect((await send({ name: 'In Progress', type: 'started' }, 'st-2')).status).toBe(202);
    expect((await send({ name: 'Canceled', type: 'canceled' }, 'st-3')).status).toBe(202);
    const sent = await settle(() => dispatchesFor(issueId, org.id), 3);
    expect(sent.map((d) => [d.event.name, d.event.data.state, d.closesThread]).sort()).toEqual([
      ['Issue.update', 'Canceled', true],
      ['Issue.update', 'Done', true],
      ['Issue.update', 'In Progress', false],
    ]);
  });

  it('custom: `"thread": {"closed": true}` closes an existing session and starts none', async () => {
    const c = CASES.find((x) => x.id === 'custom')!;
    const { org, installationId, url } = await install(c.id, c.credentials, c.template);
    const closing = (key: string, id: string) =>
      standardSigned({ type: 'ticket.solved', thread: { key, closed: true }, actor: 'ada' }, id, SECRET, Date.now());
    expect((await deliver(url, await closing('TCK-1', 'cl-0'))).status).toBe(202);
    await new Promise((r) => setTimeout(r, 150));
    expect(await dispatchesFor(`${installationId}/TCK-1`, org.id)).toHaveLength(0);

    await appendSessionDispatch(
      db,
      { organizationId: org.id },
      {
        dispatchId: `custom:${installationId}:seed`,
        organizationId: org.id,
        workspaceId: null,
        installationId,
        provider: 'custom',
        threadKey: `${installationId}/TCK-2`,
        title: 'Printer on fire',
        event: { name: 'ticket.assigned', actor: 'ada', summary: 's', data: {} },
      },
    );
    expect((await deliver(url, await closing('TCK-2', 'cl-1'))).status).toBe(202);
    const [sent] = await settle(() => dispatchesFor(`${installationId}/TCK-2`, org.id), 1);
    expect(sent).toMatchObject({ closesThread: true, event: { name: 'ticket.solved' } });
  });

  it('Linear: the signing secret comes from our side — a signature made with another installation’s secret fails', async () => {
    await install('linear', {
      webhook_secret: 'other-secret',
      app_user_id: LINEAR_APP_USER_ID,
      app_user_name: 'gatehouse',
    });
    const { url } = await install('linear', {
      webhook_secret: SECRET,
      app_user_id: LINEAR_APP_USER_ID,
      app_user_name: 'gatehouse',
    });
    const body = JSON.stringify(linearIssueAssigned(Date.now()));
    const res = await deliver(url, {
      body,
      headers: {
        'linear-delivery': crypto.randomUUID(),
        'linear-signature': await hmacSha256Hex('other-secret', body),
      },
    });
    expect(res.status).toBe(401);
  });
});
