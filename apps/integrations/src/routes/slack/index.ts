/** The Slack provider: install, webhook, tools and publication, composed. */
import { sessionDispatchFor, type IntegrationProvider } from '@gatehouse/integrations-core';
import { slackInstall } from './install.js';
import { slackPublicationScopes, slackSessionDefaults } from './publication.js';
import { executeSlackTool, slackSessionReply, slackTools } from './tools.js';
import { parseSlackWebhook } from './webhook.js';

export const slackProvider = {
  id: 'slack',
  displayName: 'Slack',
  install: slackInstall,
  parseWebhook: (req, installation) => parseSlackWebhook(req, installation),
  dispatch: (event, { installation }) =>
    sessionDispatchFor(event, installation, slackSessionDefaults, slackSessionReply(event.threadKey)),
  tools: slackTools,
  executeTool: executeSlackTool,
  publication: { scopes: slackPublicationScopes, sessionDefaults: slackSessionDefaults },
} satisfies IntegrationProvider;
