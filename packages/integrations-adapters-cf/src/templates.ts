/**
 * Organization-defined integration templates (the builder's create/update/delete_integration). The shipped catalog
 * lives in code (packages/catalog); these rows add to it per organization.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { OrgTenant } from '@gatehouse/integrations-core';
import type { Db } from './db.js';
import { integrationTemplates } from './schema.js';

export type TemplateRecord = typeof integrationTemplates.$inferSelect;

export async function listOrgTemplates(db: Db, tenant: OrgTenant): Promise<TemplateRecord[]> {
  return db
    .select()
    .from(integrationTemplates)
    .where(eq(integrationTemplates.organizationId, tenant.organizationId))
    .orderBy(asc(integrationTemplates.slug))
    .all();
}

export async function findOrgTemplate(db: Db, tenant: OrgTenant, slug: string): Promise<TemplateRecord | null> {
  return (
    (await db
      .select()
      .from(integrationTemplates)
      .where(and(eq(integrationTemplates.organizationId, tenant.organizationId), eq(integrationTemplates.slug, slug)))
      .get()) ?? null
  );
}
