/**
 * The provider registry: the one list. A new provider is one folder under routes/ plus one line here; the typed
 * array makes a provider missing a hook fail to compile, and /install/<id> and /webhook/<id> need no routing code.
 */
import type { IntegrationProvider } from '@gatehouse/integrations-core';
import { customProvider } from './routes/custom/index.js';
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
