/**
 * `search_tools`, the finding half of search mode (call-tool.ts has the mode and call_tool): ranks the tools the
 * caller may call, integration tools and the core tools search mode does not list (tool-search.ts), and answers
 * their full descriptors, `_integration` included where several installations provide one name.
 */
import type { McpToolDescriptor } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { INTEGRATION_SCOPE } from '../mcp/scope-policy.js';
import { CORE_TOOL_DESCRIPTORS, coreToolsFor } from './core-tools.js';
import { EMPTY_TOOLSET } from './integration-toolset.js';
import { toolSearchIndexFor } from './tool-search.js';
import { defineCoreTool } from './tool-types.js';
import { getIntegrationToolset } from './toolset-cache.js';

/** Most descriptors one search answers. */
export const MAX_SEARCH_RESULTS = 50;

export const searchToolsTool = defineCoreTool({
  name: 'search_tools',
  title: 'Search tools',
  description:
    'Find the tools of this workspace for a task: integration tools and the core tools not listed, ranked by name, title, description and the integration that provides them. Answers full descriptors (input schema included); run one with call_tool.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  listing: 'search',
  compactResult: true,
  input: z.object({
    query: z.string().trim().min(1).max(500).describe('What the tool should do or which service, e.g. "jira issue"'),
    limit: z.number().int().min(1).max(MAX_SEARCH_RESULTS).default(10).describe('Most tools to return'),
  }),
  async run({ query, limit }, ctx) {
    const { principal, scopes } = ctx;
    const withIntegrations = scopes.includes(INTEGRATION_SCOPE);
    const toolset = withIntegrations ? await getIntegrationToolset(ctx.db, principal, ctx.integrations) : EMPTY_TOOLSET;
    const callable = new Set(coreToolsFor(principal.role, scopes).map((t) => t.name));
    const index = toolSearchIndexFor([...CORE_TOOL_DESCRIPTORS.values()], toolset);
    const accept = (t: { core: boolean; descriptor: McpToolDescriptor }) =>
      t.core ? callable.has(t.descriptor.name) && t.descriptor.name !== 'search_tools' : withIntegrations;
    const hits = index.search(query, accept, limit);
    return {
      query,
      tools: hits.map((h) => ({ ...h.tool.descriptor, score: Math.round(h.score * 1000) / 1000 })),
      call_with: 'call_tool { name, arguments }',
    };
  },
});
