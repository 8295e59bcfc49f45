/**
 * Slack OAuth v2 installs: start → the person approves the bot scopes at slack.com → the callback exchanges the code
 * at `oauth.v2.access`, which answers as Slack does (HTTP 200, `ok`, `token_type: "bot"`, `bot_user_id`, and with token
 * rotation `expires_in` + `refresh_token`) → the installation is active; its webhooks recognise the bot by the
 * returned user id; a rotating token is refreshed before a tool call. A fake of Slack's API refuses what Slack would.
 */
import { SELF, env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { callProviderTool, db, installProvider, pkceS256, seedTenant } from './tenant.js';
import { createPublication, findInstallation, listDeliveries } from '@gatehouse/integrations-adapters-cf';
import { slackAppMention } from './fixtures/slack.js';
import { createCredentialsCipher, hmacSha256Hex } from '@gatehouse/integrations-core';

const CLIENT = { id: '2141029472.691202649728', secret: 'slack-client-secret' };
const codes = new Map<string, { challenge: string; redirectUri: string }>();
const forms: URLSearchParams[] = [];
const posted: { auth: string | null; body: unknown }[] = [];
let rotation = false;
let n = 0;

beforeEach(() => {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.hostname !== 'slack.com') return real(input, init);
    // Slack answers HTTP 200 with ok:false for errors (https://docs.slack.dev/apis/web-api/#responses).
    if (url.pathname === '/api/oauth.v2.access') {
      const form = new URLSearchParams(await req.text());
      forms.push(form);
      if (
        req.headers.get('authorization') !==
        `Basic ${btoa(`${encodeURIComponent(CLIENT.id)}:${encodeURIComponent(CLIENT.secret)}`)}`
      )
        return Response.json({ ok: false, error: 'invalid_client_id' });
      const tokens = () => {
        n++;
        return {
          access_token: `xoxb-${rotation ? 'xoxe-' : ''}${n}`,
          ...(rotation ? { expires_in: 43200, refresh_token: `xoxe-1-r${n}` } : {}),
        };
      };
      const answer = {
        ok: true,
        token_type: 'bot',
        scope: 'app_mentions:read,chat:write',
        bot_user_id: 'U0KRQLJ9H',
        app_id: 'A0KRD7HC3',
        team: { name: 'Slack Pickleball Team', id: 'T9TK3CUKW' },
        enterprise: null,
        is_enterprise_install: false,
      };
      if (form.get('grant_type') === 'refresh_token') {
        if (form.get('refresh_token') !== `xoxe-1-r${n}`)
          return Response.json({ ok: false, error: 'invalid_refresh_token' });
        return Response.json({ ...answer, ...tokens() });
      }
      const code = codes.get(form.get('code') ?? '');
      if (
        !code ||
        code.redirectUri !== form.get('redirect_uri') ||
        code.challenge !== (await pkceS256(form.get('code_verifier') ?? ''))
      )
        return Response.json({ ok: false, error: 'invalid_code' });
      codes.delete(form.get('code')!);
      return Response.json({
        ...answer,
        ...tokens(),
        authed_user: { id: 'U1234', scope: '', access_token: 'xoxp-user-token-not-kept', token_type: 'user' },
      });
    }
    if (url.pathname === '/api/chat.postMessage') {
      posted.push({
        auth: req.headers.get('authorization'),
        body: Object.fromEntries(new URLSearchParams(await req.text())),
      });
      if (req.headers.get('authorization') !== `Bearer xoxb-${rotation ? 'xoxe-' : ''}${n}`)
        return Response.json({ ok: false, error: 'invalid_auth' });
      return Response.json({ ok: true, channel: 'C123ABC456', ts: '1503435956.000247' });
    }
    return Response.json({ ok: false, error: 'unknown_method' }, { status: 404 });
  });
});
afterEach(() => vi.restoreAllMocks());

async function start(slug: string) {
  const tenant = await seedTenant(slug);
  const { res, body } = await installProvider(tenant.token, 'slack', {
    mode: 'oauth',
    credentials: { client_id: CLIENT.id, client_secret: CLIENT.secret, signing_secret: 'slack-signing' },
  });
  expect(res.status).toBe(201);
  const url = new URL(body.authorization_url);
  const code = `code-${crypto.randomUUID()}`;
  codes.set(code, {
    challenge: url.searchParams.get('code_challenge')!,
    redirectUri: url.searchParams.get('redirect_uri')!,
  });
  return { ...tenant, body, url, code, state: url.searchParams.get('state')! };
}

const callback = (query: string) => SELF.fetch(`http://integrations.test/install/slack/callback?${query}`);
const cipher = () => createCredentialsCipher(env.CREDENTIALS_KEYS, env.CREDENTIALS_ACTIVE_KID);

describe('Slack OAuth v2 install', () => {
  it('asks for the bot scopes and stores the bot token and bot user id Slack returns', async () => {
    rotation = false;
    const s = await start('slack-oauth');
    expect(s.url.origin + s.url.pathname).toBe('https://slack.com/oauth/v2/authorize');
    expect(s.url.searchParams.get('client_id')).toBe(CLIENT.id);
    expect(s.url.searchParams.get('scope')).toBe(
      'app_mentions:read,channels:history,chat:write,reactions:write,channels:read',
    );
    const res = await callback(`code=${s.code}&state=${s.state}`);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(forms.at(-1)?.get('grant_type')).toBe('authorization_code');
    const row = await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id);
    expect(row?.status).toBe('active');
    const stored = await cipher().decrypt(row!.credentials);
    expect(stored).toMatchObject({
      access_token: `xoxb-${n}`,
      bot_user_id: 'U0KRQLJ9H',
      team_id: 'T9TK3CUKW',
      signing_secret: 'slack-signing',
    });
    // A token without rotation does not expire; the user token Slack also returned is not kept.
    expect(stored).not.toHaveProperty('access_token_expires_at');
    expect(JSON.stringify(stored)).not.toContain('xoxp-');
  });

  it('takes events of the installed workspace (team) only', async () => {
    rotation = false;
    const s = await start('slack-oauth-team');
    expect((await callback(`code=${s.code}&state=${s.state}`)).status).toBe(200);
    const deliver = async (teamId: string, eventId: string) => {
      const body = JSON.stringify({ ...slackAppMention(eventId), team_id: teamId });
      const ts = String(Math.floor(Date.now() / 1000));
      return SELF.fetch(s.body.webhook_url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-slack-request-timestamp': ts,
          'x-slack-signature': `v0=${await hmacSha256Hex('slack-signing', `v0:${ts}:${body}`)}`,
        },
        body,
      });
    };
    expect((await deliver('T9TK3CUKW', 'EvOwnTeam')).status).toBe(202);
    expect((await deliver('T0OTHERTEAM', 'EvOtherTeam')).status).toBe(202);
    const deliveries = await listDeliveries(db, { organizationId: s.org.id }, s.body.installation.id);
    expect(Object.fromEntries(deliveries.map((d) => [d.deliveryId, d.status]))).toEqual({
      EvOwnTeam: expect.stringMatching(/received|dispatched/),
      EvOtherTeam: 'ignored',
    });
  });

  it('refuses Slack’s ok:false answer, leaving the installation pending', async () => {
    const s = await start('slack-oauth-refused');
    const res = await callback(`code=not-issued&state=${s.state}`);
    expect(res.status).toBe(502);
    expect(await res.text()).toMatch(/invalid_code/);
    expect((await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id))?.status).toBe('pending');
  });

  it('refreshes a rotating bot token before it expires, then posts with the new one', async () => {
    rotation = true;
    const s = await start('slack-oauth-rotation');
    expect((await callback(`code=${s.code}&state=${s.state}`)).status).toBe(200);
    // Make the stored token expire within the early-refresh window.
    const row = await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id);
    const creds = await cipher().decrypt(row!.credentials);
    expect(creds.refresh_token).toBe(`xoxe-1-r${n}`);
    await env.AUTH_DB.prepare('update installations set credentials = ? where id = ?')
      .bind(
        await cipher().encrypt({ ...creds, access_token_expires_at: String(Date.now() + 5_000) }),
        s.body.installation.id,
      )
      .run();
    await createPublication(
      db,
      { organizationId: s.org.id },
      { installationId: s.body.installation.id, granularity: 'workspace', target: s.ws.id, scopes: ['chat.write'] },
    );
    const call = {
      organizationId: s.org.id,
      workspaceId: s.ws.id,
      userId: s.user.id,
      installationId: s.body.installation.id,
      tool: 'mcp_slack_post_message',
      arguments: { channel: 'C123ABC456', text: 'Deploy finished.' },
      sessionId: null,
    };
    const before = n;
    const res = await callProviderTool(call);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(n).toBe(before + 1);
    expect(forms.at(-1)?.get('grant_type')).toBe('refresh_token');
    expect(posted.at(-1)).toEqual({
      auth: `Bearer xoxb-xoxe-${n}`,
      body: { channel: 'C123ABC456', text: 'Deploy finished.' },
    });
    const after = await cipher().decrypt(
      (await findInstallation(db, { organizationId: s.org.id }, s.body.installation.id))!.credentials,
    );
    expect(after).toMatchObject({ access_token: `xoxb-xoxe-${n}`, refresh_token: `xoxe-1-r${n}` });
  });
});
