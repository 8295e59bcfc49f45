/**
 * A local fake of Slack's Web API on 127.0.0.1, under /api: `oauth.v2.access` (HTTP Basic client authentication,
 * codes bound to their PKCE challenge and redirect URI; https://docs.slack.dev/reference/methods/oauth.v2.access),
 * `chat.postMessage` and `reactions.add` (arguments form-encoded or JSON). Like Slack it answers HTTP 200 with `ok: false` and a documented error code:
 * invalid_client_id, invalid_code, not_authed / invalid_auth (no or unknown bot token), channel_not_found, no_text,
 * unknown_method (https://docs.slack.dev/apis/web-api/#responses).
 */
import { sendJson, startHttpFake } from './http-fake.js';
import { pkceS256 } from './pkce.js';

export interface SlackFake {
  /** The Web API root to configure as the installation's `api_url`. */
  apiUrl: string;
  botUserId: string;
  issueCode(challenge: string, redirectUri: string): string;
  /** Web API calls that carried the issued bot token. */
  calls: { method: string; args: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** The workspace the fake installs into: the one the transcribed Events API fixtures come from. */
export const SLACK_FAKE_TEAM_ID = 'T123ABC456';

export async function startSlackFake(
  client: { id: string; secret: string },
  botUserId = 'U0KRQLJ9H',
): Promise<SlackFake> {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const tokens = new Set<string>();
  const calls: SlackFake['calls'] = [];
  const fake = await startHttpFake(async (req, raw, res) => {
    const method = /^\/api\/([\w.]+)$/.exec(new URL(req.url ?? '/', 'http://fake').pathname)?.[1];
    const ok = (json: Record<string, unknown>) => sendJson(res, 200, { ok: true, ...json });
    const fail = (error: string) => sendJson(res, 200, { ok: false, error });
    if (req.method !== 'POST' || !method) return sendJson(res, 404, { ok: false, error: 'unknown_method' });
    if (method === 'oauth.v2.access') {
      if (req.headers.authorization !== `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`)
        return fail('invalid_client_id');
      const form = new URLSearchParams(raw);
      const code = codes.get(form.get('code') ?? '');
      if (
        !code ||
        code.redirectUri !== form.get('redirect_uri') ||
        code.challenge !== pkceS256(form.get('code_verifier') ?? '')
      )
        return fail('invalid_code');
      codes.delete(form.get('code')!);
      const token = `xoxb-${crypto.randomUUID()}`;
      tokens.add(token);
      return ok({
        access_token: token,
        token_type: 'bot',
        scope: 'app_mentions:read,chat:write',
        bot_user_id: botUserId,
        app_id: 'A0KRD7HC3',
        team: { id: SLACK_FAKE_TEAM_ID, name: 'Gatehouse' },
        enterprise: null,
        is_enterprise_install: false,
      });
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!bearer) return fail('not_authed');
    if (!tokens.has(bearer)) return fail('invalid_auth');
    // Slack takes arguments form-encoded (what @slack/web-api sends) or as JSON with a bearer token.
    const json = /application\/json/.test(req.headers['content-type'] ?? '');
    const args = (json ? JSON.parse(raw || '{}') : Object.fromEntries(new URLSearchParams(raw))) as Record<
      string,
      unknown
    >;
    if (method === 'chat.postMessage') {
      if (typeof args.channel !== 'string' || !/^[CDG][A-Z0-9]+$/.test(args.channel)) return fail('channel_not_found');
      if (typeof args.text !== 'string' || !args.text) return fail('no_text');
      calls.push({ method, args });
      return ok({
        channel: args.channel,
        ts: `${Math.floor(Date.now() / 1000)}.000100`,
        message: { text: args.text, user: botUserId },
      });
    }
    if (method === 'reactions.add') {
      if (typeof args.channel !== 'string' || typeof args.timestamp !== 'string' || typeof args.name !== 'string')
        return fail('invalid_arguments');
      calls.push({ method, args });
      return ok({});
    }
    return fail('unknown_method');
  });
  return {
    apiUrl: `${fake.url}/api`,
    close: fake.close,
    botUserId,
    calls,
    issueCode(challenge, redirectUri) {
      const code = `slack_code_${crypto.randomUUID()}`;
      codes.set(code, { challenge, redirectUri });
      return code;
    },
  };
}
