/**
 * The catalog an organization sees: the shipped templates plus its own (integration_templates). A shipped slug
 * cannot be shadowed by an organization template.
 */
import { listOrgTemplates, type Db } from '@gatehouse/integrations-adapters-cf';
import {
  BUILTIN_TEMPLATES,
  findBuiltinTemplate,
  integrationTemplateSchema,
  type IntegrationTemplate,
} from '@gatehouse/catalog';
import type { OrgTenant } from '@gatehouse/integrations-core';

export interface CatalogEntry {
  template: IntegrationTemplate;
  origin: 'builtin' | 'organization';
  version: number;
  /** The integration_templates row of an organization template (null for a shipped one). */
  id: string | null;
}

/** All templates visible to the organization, shipped first. Stored templates that no longer parse are skipped. */
export async function loadCatalog(db: Db, tenant: OrgTenant): Promise<CatalogEntry[]> {
  const entries: CatalogEntry[] = BUILTIN_TEMPLATES.map((template) => ({
    template,
    origin: 'builtin',
    version: 1,
    id: null,
  }));
  for (const row of await listOrgTemplates(db, tenant)) {
    if (findBuiltinTemplate(row.slug)) continue;
    const parsed = integrationTemplateSchema.safeParse(row.definition);
    if (parsed.success)
      entries.push({ template: parsed.data, origin: 'organization', version: row.version, id: row.id });
    else
      console.error(
        JSON.stringify({
          msg: 'stored template does not parse',
          organizationId: tenant.organizationId,
          slug: row.slug,
        }),
      );
  }
  return entries;
}
