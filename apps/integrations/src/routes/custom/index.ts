/**
 * The custom provider: catalog templates served through the IntegrationProvider contract. Its installations are the
 * template installations (`installationKind: 'template'`); its webhooks start agent sessions like any provider's.
 */
import { CUSTOM_PROVIDER_ID } from '@gatehouse/catalog';
import { sessionDispatchFor, type IntegrationProvider } from '@gatehouse/integrations-core';
import { customInstall } from './install.js';
import { customPublicationScopes, customSessionDefaults } from './publication.js';
import { customTools, executeCustomTool } from './tools.js';
import { parseCustomWebhook } from './webhook.js';

export const customProvider = {
  id: CUSTOM_PROVIDER_ID,
  displayName: 'Custom (catalog template)',
  install: customInstall,
  installationKind: 'template',
  parseWebhook: parseCustomWebhook,
  dispatch: (event, { installation }) => sessionDispatchFor(event, installation, customSessionDefaults),
  tools: customTools,
  executeTool: executeCustomTool,
  publication: { scopes: customPublicationScopes, sessionDefaults: customSessionDefaults },
} satisfies IntegrationProvider;
