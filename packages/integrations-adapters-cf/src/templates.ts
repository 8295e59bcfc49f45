/**
 * Organization-defined integration templates (the builder's create/update/delete_integration). The shipped catalog
 * lives in code (packages/catalog); these rows add to it per organization.
 */
import { and, asc, eq } from 'drizzle-orm';
import type { OrgTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { bumpCatalogVersion } from './installations.js';
import { integrationTemplateVersions, integrationTemplates } from './schema.js';

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

export type TemplateVersionRecord = typeof integrationTemplateVersions.$inferSelect;

/**
 * Creates an organization template at version 1, records that version, and bumps the catalog version, in one batch.
 * Fails on a duplicate slug in the organization (unique key).
 */
export async function createOrgTemplate(
  db: Db,
  tenant: OrgTenant,
  input: { slug: string; definition: unknown; createdBy: string },
): Promise<TemplateRecord> {
  const now = Date.now();
  const row: TemplateRecord = {
    id: newId(),
    organizationId: tenant.organizationId,
    slug: input.slug,
    version: 1,
    definition: input.definition,
    createdBy: input.createdBy,
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([
    db.insert(integrationTemplates).values(row),
    db.insert(integrationTemplateVersions).values({
      id: newId(),
      organizationId: tenant.organizationId,
      templateId: row.id,
      version: 1,
      definition: input.definition,
      changes: { created: true },
      breaking: false,
      createdBy: input.createdBy,
      createdAt: now,
    }),
    bumpCatalogVersion(db, tenant),
  ]);
  return row;
}

export class TemplateVersionConflict extends Error {
  override name = 'TemplateVersionConflict';
}

/**
 * Replaces a template's definition if it is still at `expectedVersion` (compare-and-swap), recording the new version
 * with its change report and bumping the catalog version, in one batch. The unique (template, version) key makes a
 * concurrent update fail the whole batch: throws TemplateVersionConflict, and nothing is written.
 */
export async function updateOrgTemplate(
  db: Db,
  tenant: OrgTenant,
  input: {
    templateId: string;
    expectedVersion: number;
    definition: unknown;
    changes: Record<string, unknown>;
    breaking: boolean;
    createdBy: string;
  },
): Promise<number> {
  const now = Date.now();
  const version = input.expectedVersion + 1;
  try {
    const [updated] = await db.batch([
      db
        .update(integrationTemplates)
        .set({ definition: input.definition, version, updatedAt: now })
        .where(
          and(
            eq(integrationTemplates.organizationId, tenant.organizationId),
            eq(integrationTemplates.id, input.templateId),
            eq(integrationTemplates.version, input.expectedVersion),
          ),
        ),
      db.insert(integrationTemplateVersions).values({
        id: newId(),
        organizationId: tenant.organizationId,
        templateId: input.templateId,
        version,
        definition: input.definition,
        changes: input.changes,
        breaking: input.breaking,
        createdBy: input.createdBy,
        createdAt: now,
      }),
      bumpCatalogVersion(db, tenant),
    ]);
    if (updated.meta.changes !== 1) throw new TemplateVersionConflict('the template changed meanwhile');
  } catch (err) {
    if (err instanceof TemplateVersionConflict) throw err;
    throw new TemplateVersionConflict('the template changed or was deleted meanwhile');
  }
  return version;
}

/** Deletes an organization template (its version history goes with it) and bumps the catalog version. */
export async function deleteOrgTemplate(db: Db, tenant: OrgTenant, templateId: string): Promise<boolean> {
  const [res] = await db.batch([
    db
      .delete(integrationTemplates)
      .where(
        and(eq(integrationTemplates.organizationId, tenant.organizationId), eq(integrationTemplates.id, templateId)),
      ),
    bumpCatalogVersion(db, tenant),
  ]);
  return res.meta.changes > 0;
}

/** A template's recorded versions, oldest first. */
export async function listTemplateVersions(
  db: Db,
  tenant: OrgTenant,
  templateId: string,
): Promise<TemplateVersionRecord[]> {
  return db
    .select()
    .from(integrationTemplateVersions)
    .where(
      and(
        eq(integrationTemplateVersions.organizationId, tenant.organizationId),
        eq(integrationTemplateVersions.templateId, templateId),
      ),
    )
    .orderBy(asc(integrationTemplateVersions.version))
    .all();
}
