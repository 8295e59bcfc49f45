/**
 * Organization-defined integration templates (the builder's create/update/delete_integration). The shipped catalog
 * lives in code (packages/catalog); these rows add to it per organization.
 */
import { and, asc, desc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import type { OrgTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { bumpCatalogVersion } from './installations.js';
import {
  installations,
  integrationTemplateVersions,
  integrationTemplates,
  integrationUpdateApprovals,
} from './schema.js';

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

/**
 * Deletes an organization template (its version history goes with it) and bumps the catalog version. Throws while
 * any installation of it exists (trigger integration_templates_not_installed, migration 0013): check
 * listTemplateInstallations first for a message that names them; the trigger holds the rule when an install lands
 * between that check and this delete.
 */
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

/**
 * Recorded definitions of organization templates at given versions (`slug` → versions), for installations pinned
 * below their template's current version. One query; missing pairs are absent from the answer.
 */
export async function findTemplateVersionDefinitions(
  db: Db,
  tenant: OrgTenant,
  wanted: readonly { slug: string; version: number }[],
): Promise<{ slug: string; version: number; definition: unknown }[]> {
  // Distinct pairs, a few per query: D1 binds at most 100 parameters per statement.
  const pairs = [...new Map(wanted.map((w) => [`${w.slug}@${w.version}`, w])).values()];
  const out: { slug: string; version: number; definition: unknown }[] = [];
  for (let i = 0; i < pairs.length; i += VERSION_PAIRS_PER_QUERY)
    out.push(...(await versionDefinitions(db, tenant, pairs.slice(i, i + VERSION_PAIRS_PER_QUERY))));
  return out;
}

/** (slug, version) pairs per query: two parameters each, under D1's 100 (https://developers.cloudflare.com/d1/platform/limits/). */
const VERSION_PAIRS_PER_QUERY = 40;
/** Installation ids per UPDATE of moveTemplatePins, under D1's 100 bound parameters. */
const IDS_PER_STATEMENT = 80;

function versionDefinitions(db: Db, tenant: OrgTenant, wanted: readonly { slug: string; version: number }[]) {
  return db
    .select({
      slug: integrationTemplates.slug,
      version: integrationTemplateVersions.version,
      definition: integrationTemplateVersions.definition,
    })
    .from(integrationTemplateVersions)
    .innerJoin(integrationTemplates, eq(integrationTemplates.id, integrationTemplateVersions.templateId))
    .where(
      and(
        eq(integrationTemplateVersions.organizationId, tenant.organizationId),
        or(
          ...wanted.map((w) =>
            and(eq(integrationTemplates.slug, w.slug), eq(integrationTemplateVersions.version, w.version)),
          ),
        ),
      ),
    )
    .all();
}

/**
 * Moves installations of a template from `fromVersion` to `toVersion` (only rows still at `fromVersion`: a
 * concurrent move is not undone) and bumps the catalog version, in one batch, so no cached toolset keeps the old
 * pin. With `approval`, records who approved the move (integration_update_approvals) in the same batch. Returns the
 * number of installations moved.
 */
export async function moveTemplatePins(
  db: Db,
  tenant: OrgTenant,
  input: {
    installationIds: readonly string[];
    fromVersion: number;
    toVersion: number;
    approval?: { reasons: string[]; approvedBy: string };
  },
): Promise<number> {
  if (input.installationIds.length === 0) return 0;
  const now = Date.now();
  const moves = [];
  for (let i = 0; i < input.installationIds.length; i += IDS_PER_STATEMENT)
    moves.push(
      db
        .update(installations)
        .set({ templateVersion: input.toVersion })
        .where(
          and(
            eq(installations.organizationId, tenant.organizationId),
            inArray(installations.id, input.installationIds.slice(i, i + IDS_PER_STATEMENT)),
            eq(installations.templateVersion, input.fromVersion),
          ),
        ),
    );
  // An approval is recorded only for a row that is still at `fromVersion` (INSERT … SELECT, before the move).
  const approvals = input.approval
    ? input.installationIds.map((installationId) =>
        db.insert(integrationUpdateApprovals).select(
          db
            .select({
              id: sql<string>`${newId()}`.as('id'),
              organizationId: installations.organizationId,
              installationId: installations.id,
              fromVersion: sql<number>`${input.fromVersion}`.as('from_version'),
              toVersion: sql<number>`${input.toVersion}`.as('to_version'),
              reasons: sql<string>`${JSON.stringify(input.approval!.reasons)}`.as('reasons'),
              approvedBy: sql<string>`${input.approval!.approvedBy}`.as('approved_by'),
              approvedAt: sql<number>`${now}`.as('approved_at'),
            })
            .from(installations)
            .where(
              and(
                eq(installations.organizationId, tenant.organizationId),
                eq(installations.id, installationId),
                eq(installations.templateVersion, input.fromVersion),
              ),
            ),
        ),
      )
    : [];
  const results = await db.batch([...approvals, ...moves, bumpCatalogVersion(db, tenant)] as unknown as Parameters<
    typeof db.batch
  >[0]);
  return results
    .slice(approvals.length, approvals.length + moves.length)
    .reduce((n, r) => n + (r as { meta: { changes: number } }).meta.changes, 0);
}

/**
 * Pins installations that have no version yet (rows older than pinning) at `version`, the one they ran; bumps the
 * catalog version in the same batch.
 */
export async function pinUnpinnedInstallations(
  db: Db,
  tenant: OrgTenant,
  installationIds: readonly string[],
  version: number,
): Promise<void> {
  const updates = [];
  for (let i = 0; i < installationIds.length; i += IDS_PER_STATEMENT)
    updates.push(
      db
        .update(installations)
        .set({ templateVersion: version })
        .where(
          and(
            eq(installations.organizationId, tenant.organizationId),
            inArray(installations.id, installationIds.slice(i, i + IDS_PER_STATEMENT)),
            isNull(installations.templateVersion),
          ),
        ),
    );
  await db.batch([...updates, bumpCatalogVersion(db, tenant)] as unknown as Parameters<typeof db.batch>[0]);
}

/** The recorded approvals of an installation's template updates, newest first. */
export async function listUpdateApprovals(db: Db, tenant: OrgTenant, installationId: string) {
  return db
    .select()
    .from(integrationUpdateApprovals)
    .where(
      and(
        eq(integrationUpdateApprovals.organizationId, tenant.organizationId),
        eq(integrationUpdateApprovals.installationId, installationId),
      ),
    )
    .orderBy(desc(integrationUpdateApprovals.approvedAt))
    .all();
}
