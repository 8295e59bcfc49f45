/**
 * The code providers' tools and publication scopes, as the integrations worker publishes them (GET /v1/integrations
 * over the INTEGRATIONS service binding). The registry only changes with a deployment, so it is fetched once per
 * isolate (again after a failure). The isolate keeps the parsed registry, never the fetch's promise: a request that
 * misses fetches it itself (isolate-cache.ts in integrations-core says why).
 */
import { cachedValue, type JsonSchemaObject, type McpToolDescriptor } from '@gatehouse/integrations-core';
import { z } from 'zod';

export interface ProviderToolInfo extends McpToolDescriptor {
  /** Publication scope the tool needs (a write), or null (a read). */
  publicationScope: string | null;
}

const registrySchema = z.object({
  integrations: z.array(
    z.object({
      id: z.string(),
      display_name: z.string(),
      tools: z.array(
        z.object({
          name: z.string(),
          description: z.string(),
          inputSchema: z.looseObject({ type: z.literal('object') }),
          annotations: z.record(z.string(), z.unknown()).optional(),
          publication_scope: z.string().nullable(),
        }),
      ),
      publication_scopes: z.array(z.object({ name: z.string(), granularities: z.array(z.string()) })).default([]),
    }),
  ),
});

/** A publication scope a provider offers, with the granularities it may be granted at. */
export interface ProviderScopeInfo {
  name: string;
  granularities: string[];
}

type Registry = z.infer<typeof registrySchema>;
/** One entry at most, under one key: the parsed registry of this isolate. */
const registry = new Map<'registry', Registry>();

function fetchRegistry(integrations: Fetcher): Promise<Registry> {
  return cachedValue(registry, 'registry', async () => {
    // A few quick attempts: right after a deployment (or a local start) the binding may not answer yet.
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await integrations.fetch('https://integrations.internal/v1/integrations');
        if (!res.ok) throw new Error(`integrations registry answered ${res.status}`);
        return registrySchema.parse(await res.json());
      } catch (err) {
        if (attempt >= 3) throw err;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  });
}

/** Provider id → the publication scopes it offers. */
export async function providerScopes(integrations: Fetcher): Promise<Map<string, ProviderScopeInfo[]>> {
  const body = await fetchRegistry(integrations);
  return new Map(body.integrations.map((p) => [p.id, p.publication_scopes]));
}

/** Provider id → its tools. */
export async function providerTools(integrations: Fetcher): Promise<Map<string, ProviderToolInfo[]>> {
  const body = await fetchRegistry(integrations);
  return new Map(
    body.integrations.map((p) => [
      p.id,
      p.tools.map((t) => ({
        name: t.name,
        description: t.description,
        inputSchema: t.inputSchema as JsonSchemaObject,
        ...(t.annotations ? { annotations: t.annotations as McpToolDescriptor['annotations'] } : {}),
        publicationScope: t.publication_scope,
      })),
    ]),
  );
}
