/**
 * Linear install: a credential paste (the webhook signing secret from Settings › API › Webhooks, the app user's id so
 * assignments and mentions of the app start sessions, and an API key for tools), or OAuth with the organization's
 * Linear OAuth app, installed as an app actor (`actor=app`) so it can be assigned and mentioned.
 * https://linear.app/developers/webhooks  https://linear.app/developers/oauth-2-0-authentication
 * https://linear.app/developers/agents
 */
import type { InstallSpec } from '@gatehouse/integrations-core';
import { authorizationCodeFlow } from '@gatehouse/upstream-oauth';

/** Linear's API root; the `api_url` setting may name another (a local fake in development). */
export const LINEAR_API = 'https://api.linear.app';

export const linearApiRoot = (settings: Record<string, unknown>) =>
  typeof settings.api_url === 'string' && settings.api_url ? settings.api_url.replace(/\/+$/, '') : LINEAR_API;

export const linearInstall = {
  type: 'oauth',
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
