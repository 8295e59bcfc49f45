/**
 * Slack install: OAuth v2 with the organization's Slack app (https://docs.slack.dev/authentication/installing-with-oauth):
 * the person approves the bot scopes at slack.com/oauth/v2/authorize, and the callback exchanges the code at
 * `oauth.v2.access`. That method answers HTTP 200 with `ok: false` on errors and `token_type: "bot"` on success (not
 * RFC 6749's Bearer), names the bot user (`bot_user_id`, used to recognise its own messages) and, with token rotation
 * on, an `expires_in` (12 h) and a `refresh_token` (https://docs.slack.dev/authentication/using-token-rotation).
 * A credential paste (signing secret, bot user id, bot token) remains for single-workspace apps.
 * Signing: https://docs.slack.dev/authentication/verifying-requests-from-slack
 */
import { LogLevel, WebClient } from '@slack/web-api';
import type { InstallFlowContext, InstallSpec } from '@gatehouse/integrations-core';
import { policyFetch } from '../../outbound.js';
import { authorizationCodeFlow, type TokenReading } from '@gatehouse/upstream-oauth';

/** Slack's Web API root; the `api_url` setting may name another (a local fake in development). */
export const SLACK_API = 'https://slack.com/api';

export const slackApiRoot = (settings: Record<string, unknown>) =>
  typeof settings.api_url === 'string' && settings.api_url ? settings.api_url.replace(/\/+$/, '') : SLACK_API;

/**
 * Reads an `oauth.v2.access` answer (https://docs.slack.dev/reference/methods/oauth.v2.access). The install answer
 * must carry the bot token and its user; a token-rotation refresh answers at least `access_token`, `refresh_token` and
 * `expires_in` (its `bot_user_id` is optional), so the stored bot user and team stay when it leaves them out.
 */
export function readSlackTokens(
  json: Record<string, unknown>,
  grant: 'authorization_code' | 'refresh_token',
): TokenReading {
  // `error` is one of the method's documented codes (invalid_code, bad_redirect_uri, …): safe to show.
  if (json.ok !== true)
    return { ok: false, message: `Slack refused: ${typeof json.error === 'string' ? json.error : 'no reason given'}` };
  if (typeof json.access_token !== 'string' || (json.token_type !== undefined && json.token_type !== 'bot'))
    return {
      ok: false,
      message: 'Slack did not return a bot token; add bot scopes to the Slack app and install again',
    };
  if (grant === 'authorization_code' && typeof json.bot_user_id !== 'string')
    return { ok: false, message: 'Slack did not name the bot user; add bot scopes to the Slack app and install again' };
  const team = json.team as { id?: unknown } | null | undefined;
  return {
    ok: true,
    accessToken: json.access_token,
    refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : undefined,
    expiresIn: typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in : undefined,
    extra: {
      ...(typeof json.bot_user_id === 'string' ? { bot_user_id: json.bot_user_id } : {}),
      ...(typeof team?.id === 'string' ? { team_id: team.id } : {}),
    },
  };
}

/**
 * A pasted bot token must work and belong to the bot user pasted beside it: `auth.test`
 * (https://docs.slack.dev/reference/methods/auth.test) answers the token's `user_id`. Slack answers HTTP 200 with
 * `ok: false` and an error code for a bad token; only the code leaves.
 */
export async function verifySlackPaste(
  credentials: Record<string, string>,
  ctx: InstallFlowContext,
): Promise<{ ok: true } | { ok: false; message: string }> {
  if (!credentials.bot_token) return { ok: true };
  const client = new WebClient(credentials.bot_token, {
    slackApiUrl: `${slackApiRoot(ctx.settings)}/`,
    fetch: policyFetch(ctx.outbound),
    retryConfig: { retries: 0 },
    timeout: 10_000,
    allowAbsoluteUrls: false,
    logLevel: LogLevel.ERROR,
  });
  let userId: string | undefined;
  try {
    userId = (await client.auth.test()).user_id;
  } catch (err) {
    const code = (err as { data?: { error?: unknown } }).data?.error;
    return {
      ok: false,
      message: `Slack refused the bot token (${typeof code === 'string' ? code : 'no answer'} from auth.test)`,
    };
  }
  if (credentials.bot_user_id && userId !== credentials.bot_user_id)
    return {
      ok: false,
      message: `bot_user_id ${credentials.bot_user_id} is not the user of this bot token (auth.test answers ${userId ?? 'none'})`,
    };
  return { ok: true };
}

export const slackInstall = {
  type: 'oauth',
  verify: (credentials, ctx) => verifySlackPaste(credentials, ctx),
  fields: [
    {
      name: 'signing_secret',
      description: 'Signing secret of the Slack app (Basic Information)',
      secret: true,
      required: true,
    },
    {
      name: 'previous_signing_secret',
      description: 'The former signing secret while rotating',
      secret: true,
      required: false,
    },
    {
      name: 'bot_user_id',
      description: 'The app’s bot user id (U…), to recognise its own messages',
      secret: false,
      required: true,
    },
    { name: 'bot_token', description: 'Bot token (xoxb-…) for the tools', secret: true, required: false },
  ],
  settings: [
    { name: 'api_url', description: `Slack Web API root (default ${SLACK_API})`, secret: false, required: false },
  ],
  oauth: authorizationCodeFlow({
    service: 'Slack',
    authorizeUrl: () => 'https://slack.com/oauth/v2/authorize',
    // Both vendors take a comma-separated scope list.
    scopeSeparator: ',',
    tokenUrl: (settings) => `${slackApiRoot(settings)}/oauth.v2.access`,
    // Bot scopes: events in channels and threads, replies, reactions, channel list.
    scopes: ['app_mentions:read', 'channels:history', 'chat:write', 'reactions:write', 'channels:read'],
    // Slack asks for HTTP Basic rather than form parameters ("If possible, avoid sending client_id and client_secret").
    clientAuth: 'basic',
    appFields: [
      {
        name: 'client_id',
        description: 'Client ID of your Slack app (Basic Information › App Credentials)',
        secret: false,
        required: true,
      },
      { name: 'client_secret', description: 'Client secret of your Slack app', secret: true, required: true },
      { name: 'signing_secret', description: 'Signing secret of your Slack app', secret: true, required: true },
    ],
    readTokens: readSlackTokens,
  }),
} as const satisfies InstallSpec;
