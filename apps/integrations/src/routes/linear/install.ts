/**
 * Linear install: credential paste for now (the webhook signing secret from Settings › API › Webhooks, the app user's
 * id so assignments and mentions of the app start sessions, and an API key for tools). The OAuth app flow is next.
 * https://linear.app/developers/webhooks
 */
import type { InstallSpec } from '@gatehouse/integrations-core';

export const linearInstall = {
  type: 'credentials',
  fields: [
    { name: 'webhook_secret', description: 'Signing secret of the Linear webhook', secret: true, required: true },
    { name: 'previous_webhook_secret', description: 'The former signing secret while rotating', secret: true, required: false },
    { name: 'app_user_id', description: 'Linear user id of the agent (assignments to it and @mentions start sessions)', secret: false, required: true },
    { name: 'app_user_name', description: 'Display name of the agent as mentioned in comments (e.g. gatehouse)', secret: false, required: true },
    { name: 'api_key', description: 'Linear API key for the tools', secret: true, required: false },
  ],
} as const satisfies InstallSpec;
