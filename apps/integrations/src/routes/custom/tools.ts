/**
 * Custom tools are the installed template's own tools under their generic names (`create_issue`), listed by the main
 * worker from the catalog and run there through `templateProvider(template).executeTool` (packages/catalog
 * template-provider.ts), with `_integration` when two installations share a name. None is registered here.
 */
import type { ProviderTool, PublicationContext } from '@gatehouse/integrations-core';

export const customTools = [] as const satisfies readonly ProviderTool[];

export class CustomToolError extends Error {
  override name = 'CustomToolError';
}

export function executeCustomTool(
  name: string,
  _input: Record<string, unknown>,
  _ctx: PublicationContext,
): Promise<unknown> {
  return Promise.reject(
    new CustomToolError(
      `${name} is a template tool: call it through the MCP endpoint, which runs the installed template`,
    ),
  );
}
