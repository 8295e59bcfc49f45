/**
 * The GitHub provider: one folder, four concerns (install, webhook, tools, publication), composed here.
 */
import type { IntegrationProvider } from '@gatehouse/integrations-core';
import { githubInstall } from './install.js';
import { githubPublicationScopes } from './publication.js';
import { executeGithubTool, githubTools } from './tools.js';
import { parseGithubWebhook } from './webhook.js';

export const githubProvider = {
  id: 'github',
  displayName: 'GitHub',
  install: githubInstall,
  parseWebhook: parseGithubWebhook,
  dispatch(event, { installation }) {
    return {
      dispatchId: `github:${event.deliveryId}`,
      organizationId: installation.organizationId,
      workspaceId: installation.workspaceId,
      installationId: installation.id,
      provider: 'github',
      threadKey: event.threadKey,
      title: event.title,
      event: { name: event.name, actor: event.actor, summary: event.summary, data: event.data },
    };
  },
  tools: githubTools,
  executeTool: executeGithubTool,
  publication: { scopes: githubPublicationScopes },
} satisfies IntegrationProvider;
