/**
 * The ranking behind `search_tools`: BM25 (MiniSearch's BM25+ variant, https://lucaong.github.io/minisearch/) over
 * each tool's name (split at `_`), title, description and the installations that provide it, so "jira" finds the
 * tools of a Jira installation whose own text never says the vendor's name. Deterministic: equal scores are ordered
 * by tool name.
 *
 * One index per toolset (the per-isolate toolset cache holds one toolset per organization, workspace and catalog
 * version), built on the first search and kept with it; it holds every core tool as well, and the caller's role and
 * scopes filter the hits, so one index serves every caller of the workspace.
 */
import MiniSearch from 'minisearch';
import type { McpToolDescriptor } from '@gatehouse/integrations-core';
import type { IntegrationToolset } from './integration-toolset.js';

/** One indexed tool: its descriptor and whether it is a core tool (filtered by role and scope) or an integration's. */
export interface SearchableTool {
  descriptor: McpToolDescriptor;
  core: boolean;
}

export interface ToolSearchIndex {
  search(
    query: string,
    accept: (tool: SearchableTool) => boolean,
    limit: number,
  ): { tool: SearchableTool; score: number }[];
}

interface Doc {
  id: number;
  name: string;
  title: string;
  description: string;
  integrations: string;
}

const FIELDS = ['name', 'title', 'description', 'integrations'] as const;
const BOOST = { name: 3, title: 2, integrations: 1.5, description: 1 };

/**
 * English function words, dropped from tools and queries alike: they carry no meaning for finding a tool, and a
 * query word such as "a" would otherwise match (and make the ranker score) every tool.
 */
const STOP_WORDS = new Set('a an and are as at be by for from in into is it of on or the to with'.split(' '));

/** Lower case, stop words dropped (MiniSearch `processTerm`: a falsy result drops the term). */
const processTerm = (term: string) => {
  const lower = term.toLowerCase();
  return STOP_WORDS.has(lower) ? null : lower;
};

/** Builds the index over `core` tools and the toolset's integration tools (their providers from `routes`). */
export function buildToolSearchIndex(core: readonly McpToolDescriptor[], toolset: IntegrationToolset): ToolSearchIndex {
  const tools: SearchableTool[] = [
    ...core.map((descriptor) => ({ descriptor, core: true })),
    ...toolset.descriptors.map((descriptor) => ({ descriptor, core: false })),
  ];
  const index = new MiniSearch<Doc>({ fields: [...FIELDS], idField: 'id', processTerm });
  index.addAll(
    tools.map(({ descriptor: d, core: isCore }, id) => ({
      id,
      name: d.name,
      title: d.title ?? '',
      description: d.description ?? '',
      integrations: isCore
        ? ''
        : (toolset.routes.get(d.name) ?? [])
            .map((r) => `${r.installation.handle} ${r.installation.title} ${r.installation.source}`)
            .join(' '),
    })),
  );
  return {
    search(query, accept, limit) {
      const hits = index.search(query, {
        boost: BOOST,
        // Prefixes from three letters ("inv" finds invoices; "i" would find everything), one typo in longer words.
        prefix: (term) => term.length >= 3,
        fuzzy: (term) => (term.length > 4 ? 0.2 : false),
      });
      return hits
        .map((h) => ({ tool: tools[h.id as number]!, score: h.score }))
        .filter((h) => accept(h.tool))
        .sort((a, b) => b.score - a.score || a.tool.descriptor.name.localeCompare(b.tool.descriptor.name))
        .slice(0, limit);
    },
  };
}

const indexes = new WeakMap<IntegrationToolset, ToolSearchIndex>();

/** The toolset's index, built once per toolset object (a value, never a promise: isolate-cache rule). */
export function toolSearchIndexFor(core: readonly McpToolDescriptor[], toolset: IntegrationToolset): ToolSearchIndex {
  let index = indexes.get(toolset);
  if (!index) {
    index = buildToolSearchIndex(core, toolset);
    indexes.set(toolset, index);
  }
  return index;
}
