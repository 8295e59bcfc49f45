/**
 * Linear install: a credential paste (the webhook signing secret from Settings › API › Webhooks, the app user's id so
 * assignments and mentions of the app start sessions, and an API key for tools), or OAuth with the organization's
 * Linear OAuth app, installed as an app actor (`actor=app`) so it can be assigned and mentioned.
 * https://linear.app/developers/webhooks  https://linear.app/developers/oauth-2-0-authentication
 * https://linear.app/developers/agents
 */
import type { InstallFlowContext, InstallSpec } from '@gatehouse/integrations-core';
import { policyFetch } from '../../outbound.js';
import { authorizationCodeFlow } from '@gatehouse/upstream-oauth';

/** Linear's API root; the `api_url` setting may name another (a local fake in development). */
export const LINEAR_API = 'https://api.linear.app';

export const linearApiRoot = (settings: Record<string, unknown>) =>
  typeof settings.api_url === 'string' && settings.api_url ? settings.api_url.replace(/\/+$/, '') : LINEAR_API;

/**
 * A pasted API key must work: the GraphQL `viewer` query (https://linear.app/developers/graphql#authentication)
 * answers the key's user. Only the status leaves (Linear's error messages may quote the request).
 */
export async function verifyLinearPaste(
  credentials: Record<string, string>,
  ctx: InstallFlowContext,
): Promise<{ ok: true } | { ok: false; message: string }> {
  if (!credentials.api_key) return { ok: true };
  let res: Response;
  try {
    res = await policyFetch(ctx.outbound)(`${linearApiRoot(ctx.settings)}/graphql`, {
      method: 'POST',
      headers: { authorization: credentials.api_key, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
  } catch {
    return { ok: false, message: 'Linear could not be reached to check the API key' };
  }
  const body = (await res.json().catch(() => null)) as { data?: { viewer?: { id?: string } } } | null;
  if (res.ok && body?.data?.viewer?.id) return { ok: true };
  return { ok: false, message: `Linear refused the API key (${res.status} from the viewer query)` };
}

export const linearInstall = {
  type: 'oauth',
  verify: (credentials, ctx) => verifyLinearPaste(credentials, ctx),
  fields: [
    { name: 'webhook_secret', description: 'Signing secret of the Linear webhook', secret: true, required: true },
    {
      name: 'previous_webhook_secret',
      description: 'The former signing secret while rotating',
      secret: true,
      required: false,
    },
    {
      name: 'app_user_id',
      description: 'Linear user id of the agent (assignments to it and @mentions start sessions)',
      secret: false,
      required: true,
    },
    {
      name: 'app_user_name',
      description: 'Display name of the agent as mentioned in comments (e.g. gatehouse)',
      secret: false,
      required: true,
    },
    { name: 'api_key', description: 'Linear API key for the tools', secret: true, required: false },
  ],
  settings: [
    { name: 'api_url', description: `Linear API root (default ${LINEAR_API})`, secret: false, required: false },
  ],
  oauth: authorizationCodeFlow({
    service: 'Linear',
    authorizeUrl: () => 'https://linear.app/oauth/authorize',
    // Both vendors take a comma-separated scope list.
    scopeSeparator: ',',
    tokenUrl: (settings) => `${linearApiRoot(settings)}/oauth/token`,
    scopes: ['read', 'write', 'comments:create', 'app:assignable', 'app:mentionable'],
    extraAuthorizeParams: { actor: 'app' },
    // Linear's token endpoint takes client_id and client_secret in the form body.
    clientAuth: 'post',
    appFields: [
      { name: 'client_id', description: 'Client ID of your Linear OAuth application', secret: false, required: true },
      {
        name: 'client_secret',
        description: 'Client secret of your Linear OAuth application',
        secret: true,
        required: true,
      },
      {
        name: 'webhook_secret',
        description: 'Signing secret of the OAuth application’s webhook',
        secret: true,
        required: true,
      },
      { name: 'app_user_id', description: 'Linear user id of the app actor', secret: false, required: true },
      {
        name: 'app_user_name',
        description: 'Name the app is mentioned by (e.g. gatehouse)',
        secret: false,
        required: true,
      },
    ],
  }),
} as const satisfies InstallSpec;
