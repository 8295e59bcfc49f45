/** The Linear provider: install, webhook, tools and publication, composed. */
import { sessionDispatchFor, type IntegrationProvider } from '@gatehouse/integrations-core';
import { linearInstall } from './install.js';
import { linearPublicationScopes, linearSessionDefaults } from './publication.js';
import { executeLinearTool, linearSessionReply, linearTools } from './tools.js';
import { parseLinearWebhook } from './webhook.js';

export const linearProvider = {
  id: 'linear',
  displayName: 'Linear',
  install: linearInstall,
  parseWebhook: (req, installation) => parseLinearWebhook(req, installation),
  dispatch: (event, { installation }) =>
    sessionDispatchFor(event, installation, linearSessionDefaults, linearSessionReply(event.threadKey)),
  tools: linearTools,
  executeTool: executeLinearTool,
  publication: { scopes: linearPublicationScopes, sessionDefaults: linearSessionDefaults },
} satisfies IntegrationProvider;
