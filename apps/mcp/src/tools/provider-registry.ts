/**
 * The code providers' tools and publication scopes, as the integrations worker publishes them
 * (`IntegrationsRpc.providerRegistry` over the INTEGRATIONS service binding, Workers RPC). The registry only changes
 * with a deployment, so it is asked for once per isolate (again after a failure). The answer is validated: the two
 * workers deploy separately, and an older or newer peer must fail loudly here, not list malformed tools. The
 * isolate keeps the parsed registry, never the call's promise: a request that misses asks itself (isolate-cache.ts
 * in integrations-core says why).
 */
import {
  cachedValue,
  type IntegrationsRpc,
  type JsonSchemaObject,
  type McpToolDescriptor,
  type ProviderRegistryEntry,
  type ProviderScopeInfo,
  type ProviderToolInfo,
} from '@gatehouse/integrations-core';
import { z } from 'zod';

export type { ProviderScopeInfo, ProviderToolInfo };

const registrySchema = z.array(
  z.object({
    id: z.string(),
    displayName: z.string(),
    tools: z.array(
      z.object({
        name: z.string(),
        description: z.string(),
        inputSchema: z.looseObject({ type: z.literal('object') }),
        annotations: z.record(z.string(), z.unknown()).optional(),
        publicationScope: z.string().nullable(),
      }),
    ),
    publicationScopes: z.array(z.object({ name: z.string(), granularities: z.array(z.string()) })),
  }),
);

/** The INTEGRATIONS binding as the RPC interface it is (wrangler types types a service binding as a plain Fetcher). */
export function integrationsRpc(binding: Fetcher): IntegrationsRpc {
  return binding as unknown as IntegrationsRpc;
}

/** One entry at most, under one key: the validated registry of this isolate. */
const registry = new Map<'registry', ProviderRegistryEntry[]>();

function loadRegistry(integrations: Fetcher): Promise<ProviderRegistryEntry[]> {
  return cachedValue(registry, 'registry', async () =>
    registrySchema.parse(await integrationsRpc(integrations).providerRegistry()).map((p) => ({
      ...p,
      tools: p.tools.map((t) => ({
        name: t.name,
        description: t.description,
        inputSchema: t.inputSchema as JsonSchemaObject,
        ...(t.annotations ? { annotations: t.annotations as McpToolDescriptor['annotations'] } : {}),
        publicationScope: t.publicationScope,
      })),
    })),
  );
}

/** Provider id → the publication scopes it offers. */
export async function providerScopes(integrations: Fetcher): Promise<Map<string, ProviderScopeInfo[]>> {
  return new Map((await loadRegistry(integrations)).map((p) => [p.id, p.publicationScopes]));
}

/** Provider id → its tools. */
export async function providerTools(integrations: Fetcher): Promise<Map<string, ProviderToolInfo[]>> {
  return new Map((await loadRegistry(integrations)).map((p) => [p.id, p.tools]));
}
