/**
 * Pasted provider credentials are checked with the vendor before anything is stored, as template credentials are:
 * GitHub `GET /user`, Slack `auth.test` (and its user must be the bot user pasted), Linear's `viewer` query. A refusal
 * is a 400 naming the vendor's status or code, never the secret; a webhook secret alone has nothing to check.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installProvider, seedTenant } from './tenant.js';

const asked: string[] = [];

beforeEach(() => {
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const auth = req.headers.get('authorization') ?? '';
    if (url.hostname === 'api.github.com') {
      asked.push(`github ${url.pathname}`);
      return auth === 'token ghp_good'
        ? Response.json({ login: 'bot' })
        : Response.json({ message: 'Bad credentials' }, { status: 401 });
    }
    if (url.hostname === 'slack.com') {
      asked.push(`slack ${url.pathname}`);
      return Response.json(
        auth === 'Bearer xoxb-good' ? { ok: true, user_id: 'U0BOT' } : { ok: false, error: 'invalid_auth' },
      );
    }
    if (url.hostname === 'api.linear.app') {
      asked.push(`linear ${url.pathname}`);
      return auth === 'lin_api_good'
        ? Response.json({ data: { viewer: { id: 'user-1' } } })
        : Response.json({ errors: [{ message: 'Authentication required, not authenticated' }] }, { status: 400 });
    }
    return real(input, init);
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  asked.length = 0;
});

const stored = async (organizationId: string) =>
  (
    await env.AUTH_DB.prepare('select count(*) as n from installations where organization_id = ?')
      .bind(organizationId)
      .first<{ n: number }>()
  )?.n;

describe('pasted provider credentials', () => {
  it('refuses tokens the vendor refuses with 400, without the secret, and stores nothing', async () => {
    const { org, token } = await seedTenant('creds-refused');
    const cases = [
      [
        'github',
        { webhook_secret: 'w', token: 'ghp_stolen_or_typo' },
        /GitHub refused the token \(401 from GET \/user\)/,
      ],
      ['slack', { signing_secret: 's', bot_user_id: 'U0BOT', bot_token: 'xoxb-bad' }, /invalid_auth from auth\.test/],
      [
        'linear',
        { webhook_secret: 'w', app_user_id: 'u', app_user_name: 'g', api_key: 'lin_api_bad' },
        /Linear refused the API key \(400 from the viewer query\)/,
      ],
    ] as const;
    for (const [provider, credentials, message] of cases) {
      const { res, body } = await installProvider(token, provider, { credentials });
      expect(res.status, provider).toBe(400);
      expect(body).toMatchObject({ error: 'invalid_credentials', message: expect.stringMatching(message) });
      for (const secret of Object.values(credentials))
        if (secret.length > 3) expect(JSON.stringify(body)).not.toContain(secret);
    }
    expect(asked).toEqual(['github /user', 'slack /api/auth.test', 'linear /graphql']);
    expect(await stored(org.id)).toBe(0);
  });

  it('refuses a Slack bot token whose user is not the bot user pasted beside it', async () => {
    const { org, token } = await seedTenant('creds-slack-user');
    const { res, body } = await installProvider(token, 'slack', {
      credentials: { signing_secret: 's', bot_user_id: 'U0SOMEONE', bot_token: 'xoxb-good' },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(body)).toMatch(/bot_user_id U0SOMEONE is not the user of this bot token/);
    expect(await stored(org.id)).toBe(0);
  });

  it('installs working tokens, and a webhook secret alone without asking anyone', async () => {
    const { org, token } = await seedTenant('creds-ok');
    expect(
      (await installProvider(token, 'github', { credentials: { webhook_secret: 'w', token: 'ghp_good' } })).res.status,
    ).toBe(201);
    expect(
      (
        await installProvider(token, 'slack', {
          credentials: { signing_secret: 's', bot_user_id: 'U0BOT', bot_token: 'xoxb-good' },
        })
      ).res.status,
    ).toBe(201);
    expect(
      (
        await installProvider(token, 'linear', {
          credentials: { webhook_secret: 'w', app_user_id: 'u', app_user_name: 'g', api_key: 'lin_api_good' },
        })
      ).res.status,
    ).toBe(201);
    const before = asked.length;
    expect((await installProvider(token, 'github', { credentials: { webhook_secret: 'w2' } })).res.status).toBe(201);
    expect(asked.length).toBe(before);
    expect(await stored(org.id)).toBe(4);
  });
});
