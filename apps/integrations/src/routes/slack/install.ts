/**
 * Slack install: credential paste for now (the app's signing secret, its bot user id, and a bot token for tools);
 * the OAuth v2 install flow is next. https://api.slack.com/authentication/verifying-requests-from-slack
 */
import type { InstallSpec } from '@gatehouse/integrations-core';

export const slackInstall = {
  type: 'credentials',
  fields: [
    { name: 'signing_secret', description: 'Signing secret of the Slack app (Basic Information)', secret: true, required: true },
    { name: 'previous_signing_secret', description: 'The former signing secret while rotating', secret: true, required: false },
    { name: 'bot_user_id', description: 'The app’s bot user id (U…), to recognise its own messages', secret: false, required: true },
    { name: 'bot_token', description: 'Bot token (xoxb-…) for the tools', secret: true, required: false },
  ],
} as const satisfies InstallSpec;
