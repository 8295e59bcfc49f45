/**
 * The provider registry: the one list. A new provider is one folder under routes/ plus one line here; the typed
 * array makes a provider missing a hook fail to compile, and /install/<id> and /webhook/<id> need no routing code.
 * The `custom` entry (catalog templates) lives in packages/catalog beside `templateProvider`, which specialises it
 * per template: the main worker runs template tools with it, this worker their webhooks.
 */
import { customProvider } from '@gatehouse/catalog';
import type { IntegrationProvider } from '@gatehouse/integrations-core';
import { githubProvider } from './routes/github/index.js';
import { linearProvider } from './routes/linear/index.js';
import { slackProvider } from './routes/slack/index.js';

export const PROVIDERS = [
  githubProvider,
  linearProvider,
  slackProvider,
  customProvider,
] as const satisfies readonly IntegrationProvider[];

const byId: ReadonlyMap<string, IntegrationProvider> = new Map(PROVIDERS.map((p) => [p.id, p]));

/** The registered provider with this id (from the URL), or undefined. */
export function findProvider(id: string): IntegrationProvider | undefined {
  return byId.get(id);
}
