/**
 * Per-isolate cache of the tools a workspace sees, keyed by (organization, workspace, catalog version). Each
 * template installation gets the template at the version it runs (installations.template_version). Any change
 * to installations or templates bumps organizations.catalog_version in the same D1 batch, so a stale entry is never
 * served: the version arrives with the principal on every request at no extra read.
 *
 * Why: a miss (two D1 reads and the rebuild) costs ~20 µs per tool; a hit is a Map lookup, leaving the
 * serialization of the list (~3-4 µs per tool) as the per-request cost (see `pnpm bench`).
 */
import {
  findTemplateVersionDefinitions,
  listVisibleInstallations,
  type Db,
  type Principal,
} from '@gatehouse/integrations-adapters-cf';
import { integrationTemplateSchema, type IntegrationTemplate } from '@gatehouse/catalog';

import { loadCatalog } from './catalog.js';
import { RESERVED_TOOL_NAMES } from './core-tools.js';
import { buildIntegrationToolset, type IntegrationToolset } from './integration-toolset.js';
import { providerTools, type ProviderToolInfo } from './provider-registry.js';

const MAX_ENTRIES = 256;
const cache = new Map<string, IntegrationToolset>();

function key(p: Principal): string {
  return `${p.organizationId}\u0000${p.workspaceId}\u0000${p.catalogVersion}`;
}

/** The integration toolset for the principal's workspace, from cache or built with two D1 reads. */
export async function getIntegrationToolset(
  db: Db,
  principal: Principal,
  integrations: Fetcher,
): Promise<IntegrationToolset> {
  const k = key(principal);
  const hit = cache.get(k);
  if (hit) {
    // Refresh recency (Map keeps insertion order; the first key is the least recently used).
    cache.delete(k);
    cache.set(k, hit);
    return hit;
  }
  const [installations, catalog] = await Promise.all([
    listVisibleInstallations(db, principal),
    loadCatalog(db, principal),
  ]);
  const bySlug = new Map(catalog.map((e) => [e.template.slug, e]));
  // Installations pinned below their template's current version (an update that changes where credentials go,
  // awaiting approval) run the recorded definition of their version: one more read, only when there are some.
  const pinned = installations.filter((i) => {
    const entry = i.kind === 'template' ? bySlug.get(i.source) : undefined;
    return entry?.origin === 'organization' && i.templateVersion !== null && i.templateVersion !== entry.version;
  });
  const versions = new Map<string, IntegrationTemplate>();
  for (const v of await findTemplateVersionDefinitions(
    db,
    principal,
    pinned.map((i) => ({ slug: i.source, version: i.templateVersion! })),
  )) {
    const parsed = integrationTemplateSchema.safeParse(v.definition);
    if (parsed.success) versions.set(`${v.slug}@${v.version}`, parsed.data);
  }
  const byInstallation = new Map(installations.map((i) => [i.id, i]));
  const templateFor = (ref: { id: string; source: string }) => {
    const entry = bySlug.get(ref.source);
    const row = byInstallation.get(ref.id);
    if (!entry || !row) return undefined;
    if (entry.origin !== 'organization' || row.templateVersion === null || row.templateVersion === entry.version)
      return entry.template;
    // A pinned version that is not recorded serves no tools rather than the unapproved current one.
    return versions.get(`${ref.source}@${row.templateVersion}`);
  };
  let providers: Map<string, ProviderToolInfo[]> | undefined;
  let complete = true;
  if (installations.some((i) => i.kind === 'provider')) {
    try {
      providers = await providerTools(integrations);
    } catch (err) {
      // Template tools still work; provider tools come back on the next request (this result is not cached).
      complete = false;
      console.error(
        JSON.stringify({ msg: 'provider registry unavailable', error: err instanceof Error ? err.name : 'unknown' }),
      );
    }
  }
  const toolset = buildIntegrationToolset(installations, templateFor, RESERVED_TOOL_NAMES, (id) => providers?.get(id));
  if (!complete) return toolset;
  cache.set(k, toolset);
  if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  return toolset;
}
