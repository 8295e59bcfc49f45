/**
 * GitHub install: credential paste for the skeleton (a repository or organization webhook with its secret, and an
 * optional token for tools). GitHub App installation with an app JWT is the preferred path (issue 4).
 * Webhook secrets: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
 */
import type { InstallSpec } from '@gatehouse/integrations-core';

export const githubInstall = {
  type: 'credentials',
  fields: [
    { name: 'webhook_secret', description: 'The secret set on the GitHub webhook (Settings › Webhooks)', secret: true, required: true },
    { name: 'previous_webhook_secret', description: 'The former secret while you rotate it; remove it once GitHub uses the new one', secret: true, required: false },
    { name: 'app_login', description: 'GitHub login the agent acts as (e.g. my-app[bot]); when set, only mentions of it, reviews requested from it and assignments to it start sessions', secret: false, required: false },
    { name: 'token', description: 'Fine-grained personal access token for the tools (Issues: read & write)', secret: true, required: false },
  ],
  settings: [
    { name: 'api_url', description: 'REST API root for GitHub Enterprise Server (default https://api.github.com)', secret: false, required: false },
  ],
} as const satisfies InstallSpec;
