/**
 * The code providers' tools, as the integrations worker publishes them (GET /v1/integrations over the INTEGRATIONS
 * service binding). The registry only changes with a deployment, so it is fetched once per isolate (again after a
 * failure).
 */
import type { JsonSchemaObject, McpToolDescriptor } from '@gatehouse/integrations-core';
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
    }),
  ),
});

let registry: Promise<Map<string, ProviderToolInfo[]>> | undefined;

/** Provider id → its tools. */
export function providerTools(integrations: Fetcher): Promise<Map<string, ProviderToolInfo[]>> {
  registry ??= (async () => {
    const res = await integrations.fetch('https://integrations.internal/v1/integrations');
    if (!res.ok) throw new Error(`integrations registry answered ${res.status}`);
    const body = registrySchema.parse(await res.json());
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
  })().catch((err: unknown) => {
    registry = undefined;
    throw err;
  });
  return registry;
}
