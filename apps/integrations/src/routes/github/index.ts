/**
 * The GitHub provider: one folder, four concerns (install, webhook, tools, publication), composed here.
 */
import { sessionDispatchFor, type IntegrationProvider } from '@gatehouse/integrations-core';
import { githubInstall } from './install.js';
import { githubPublicationScopes, githubSessionDefaults } from './publication.js';
import { executeGithubTool, githubSessionReply, githubTools } from './tools.js';
import { parseGithubWebhook } from './webhook.js';

export const githubProvider = {
  id: 'github',
  displayName: 'GitHub',
  install: githubInstall,
  parseWebhook: parseGithubWebhook,
  dispatch: (event, { installation }) =>
    sessionDispatchFor(event, installation, githubSessionDefaults, githubSessionReply(event.threadKey)),
  tools: githubTools,
  executeTool: executeGithubTool,
  publication: { scopes: githubPublicationScopes, sessionDefaults: githubSessionDefaults },
} satisfies IntegrationProvider;
