/**
 * Installations: one configured instance of a catalog template or a code provider, scoped Local (one workspace) or
 * Global (the organization). Credentials are stored as the JWE the caller encrypted; this module never sees plaintext.
 */
import { and, asc, eq, isNull, lt, notExists, or, sql } from 'drizzle-orm';
import { jweKid, type InstallationScope, type OrgTenant, type WorkspaceTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { preparedQuery } from './prepared.js';
import {
  installations,
  integrationTemplates,
  organizations,
  type CredentialFailureKind,
  type RateLimit,
} from './schema.js';

export type InstallationRecord = typeof installations.$inferSelect;

/** Active installations visible in a workspace: its Local ones and the organization's Global ones. */
export async function listVisibleInstallations(db: Db, tenant: WorkspaceTenant): Promise<InstallationRecord[]> {
  return db
    .select()
    .from(installations)
    .where(
      and(
        eq(installations.organizationId, tenant.organizationId),
        eq(installations.status, 'active'),
        or(eq(installations.scope, 'global'), eq(installations.workspaceId, tenant.workspaceId)),
      ),
    )
    .orderBy(asc(installations.createdAt), asc(installations.handle))
    .all();
}

const visibleInstallationQuery = preparedQuery((db) => {
  const idOrHandle = sql.placeholder('idOrHandle');
  return db
    .select()
    .from(installations)
    .where(
      and(
        eq(installations.organizationId, sql.placeholder('organizationId')),
        or(eq(installations.id, idOrHandle), eq(installations.handle, idOrHandle)),
        or(eq(installations.scope, 'global'), eq(installations.workspaceId, sql.placeholder('workspaceId'))),
      ),
    )
    .prepare();
});

/** One installation visible in the workspace, by id or handle, or null. Runs on every integration tool call. */
export async function findVisibleInstallation(
  db: Db,
  tenant: WorkspaceTenant,
  idOrHandle: string,
): Promise<InstallationRecord | null> {
  const { organizationId, workspaceId } = tenant;
  const row = await visibleInstallationQuery(db).get({ organizationId, workspaceId, idOrHandle });
  return row ?? null;
}

/** Handles already used in the organization (to derive a free one). */
async function usedHandles(db: Db, tenant: OrgTenant): Promise<Set<string>> {
  const rows = await db
    .select({ handle: installations.handle })
    .from(installations)
    .where(eq(installations.organizationId, tenant.organizationId))
    .all();
  return new Set(rows.map((r) => r.handle));
}

/** Lower-case, dash-separated, at most 40 characters: `Jira — Backend` → `jira-backend`. */
export function handleFromTitle(title: string): string {
  const base = title
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return base || 'integration';
}

export interface NewInstallation {
  /** `pending` for an OAuth install awaiting authorization (provides no tools until activated). Default `active`. */
  status?: 'active' | 'pending';
  kind: 'template' | 'provider';
  source: string;
  title: string;
  scope: InstallationScope;
  /** Required for `local`, ignored for `global`. */
  workspaceId: string | null;
  settings: Record<string, unknown>;
  /** Compact JWE produced by the credentials cipher. */
  credentials: string;
  createdBy: string;
  /** For an organization template: the version it is installed at (see installations.template_version). */
  templateVersion?: number | null;
  /**
   * With `templateVersion`: the id of the template row that version was read from. The install is refused
   * (TemplateDeletedError) unless that very row still exists when the installation is written, so a template deleted
   * and recreated under its slug meanwhile never receives it.
   */
  templateId?: string;
}

/**
 * Creates an installation and bumps the organization's catalog version in one batch, so tool caches keyed by that
 * version see the new tools on the next request.
 */
export async function createInstallation(
  db: Db,
  tenant: OrgTenant,
  input: NewInstallation,
): Promise<InstallationRecord> {
  const taken = await usedHandles(db, tenant);
  const base = handleFromTitle(input.title);
  let handle = base;
  for (let n = 2; taken.has(handle); n++) handle = `${base.slice(0, 36)}-${n}`;
  const now = Date.now();
  const row: InstallationRecord = {
    id: newId(),
    organizationId: tenant.organizationId,
    workspaceId: input.scope === 'local' ? input.workspaceId : null,
    scope: input.scope,
    kind: input.kind,
    source: input.source,
    handle,
    title: input.title,
    settings: input.settings,
    credentials: input.credentials,
    credentialsKid: jweKid(input.credentials) ?? '',
    status: input.status ?? 'active',
    refreshLockUntil: null,
    templateVersion: input.templateVersion ?? null,
    rateLimit: null,
    health: null,
    createdBy: input.createdBy,
    createdAt: now,
    updatedAt: now,
  };
  const pinned = row.kind === 'template' && row.templateVersion !== null;
  // In the same batch (one transaction): take the row out again unless the template row it was read from still
  // exists. The slug alone (trigger installations_pinned_template_exists, migration 0013) would accept a template
  // deleted and recreated under the same slug meanwhile, whose version numbers start again at 1.
  const guard = db.delete(installations).where(
    and(
      eq(installations.id, row.id),
      notExists(
        db
          .select({ id: integrationTemplates.id })
          .from(integrationTemplates)
          .where(
            and(
              eq(integrationTemplates.id, input.templateId ?? ''),
              eq(integrationTemplates.organizationId, tenant.organizationId),
              eq(integrationTemplates.slug, row.source),
            ),
          ),
      ),
    ),
  );
  const gone = () => new TemplateDeletedError(`template ${row.source} was deleted while it was being installed`);
  let removed = 0;
  try {
    const results = pinned
      ? await db.batch([db.insert(installations).values(row), guard, bumpCatalogVersion(db, tenant)])
      : await db.batch([db.insert(installations).values(row), bumpCatalogVersion(db, tenant)]);
    removed = pinned ? (results[1] as { meta: { changes: number } }).meta.changes : 0;
  } catch (err) {
    // The trigger refused the insert: the template's slug is gone.
    if (pinned && !(await orgTemplateExists(db, tenant, row.source))) throw gone();
    throw err;
  }
  if (removed > 0) throw gone();
  return row;
}

/** An install of an organization template that was deleted meanwhile; nothing was written. */
export class TemplateDeletedError extends Error {
  override name = 'TemplateDeletedError';
}

async function orgTemplateExists(db: Db, tenant: OrgTenant, slug: string): Promise<boolean> {
  const row = await db
    .select({ id: integrationTemplates.id })
    .from(integrationTemplates)
    .where(and(eq(integrationTemplates.organizationId, tenant.organizationId), eq(integrationTemplates.slug, slug)))
    .get();
  return row !== undefined;
}

/** Sets an installation's own rate limit (null: the workspace's applies). False when it is not the tenant's. */
export async function setInstallationRateLimit(
  db: Db,
  tenant: OrgTenant,
  installationId: string,
  limit: RateLimit | null,
): Promise<boolean> {
  const res = await db
    .update(installations)
    .set({ rateLimit: limit })
    .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, installationId)))
    .run();
  return res.meta.changes > 0;
}

/**
 * Records a credential failure on an installation (`row`, as read before the call): the time and kind, and with
 * `needsReauth` marks it as needing re-authorization. Only while its credentials are still the ones the call used
 * (a replacement meanwhile wins), field by field in SQL (a concurrent webhook count or success is kept). The first
 * marking bumps the catalog version in the same batch (its tools' titles say so). Returns whether this call marked it.
 */
export async function recordCredentialFailure(
  db: Db,
  tenant: OrgTenant,
  row: Pick<InstallationRecord, 'id' | 'health' | 'credentials'>,
  failure: { kind: CredentialFailureKind; message: string; needsReauth: boolean },
): Promise<boolean> {
  const h = installations.health;
  const lastFailure = JSON.stringify({ kind: failure.kind, message: failure.message.slice(0, 300) });
  const update = db
    .update(installations)
    .set({
      health: failure.needsReauth
        ? sql`json_set(coalesce(${h}, '{}'), '$.lastFailureAt', ${Date.now()}, '$.lastFailure', json(${lastFailure}),
            '$.needsReauth', json('true'))`
        : sql`json_set(coalesce(${h}, '{}'), '$.lastFailureAt', ${Date.now()}, '$.lastFailure', json(${lastFailure}))`,
    })
    .where(
      and(
        eq(installations.organizationId, tenant.organizationId),
        eq(installations.id, row.id),
        eq(installations.credentials, row.credentials),
      ),
    );
  if (!failure.needsReauth || row.health?.needsReauth) {
    await update.run();
    return false;
  }
  const [res] = await db.batch([update, bumpCatalogVersion(db, tenant)]);
  return res.meta.changes > 0;
}

/** Records a call whose credentials worked (the call path does so at most every few minutes per installation). */
export async function recordCredentialSuccess(
  db: Db,
  tenant: OrgTenant,
  row: Pick<InstallationRecord, 'id'>,
): Promise<void> {
  const h = installations.health;
  await db
    .update(installations)
    .set({ health: sql`json_set(coalesce(${h}, '{}'), '$.lastSuccessAt', ${Date.now()})` })
    .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, row.id)));
}

/**
 * Replaces an installation's credentials (a JWE from the credentials cipher) after they were checked, clears
 * `needs_reauth` and bumps the catalog version, in one batch. False when it is not the tenant's.
 */
export async function replaceInstallationCredentials(
  db: Db,
  tenant: OrgTenant,
  row: Pick<InstallationRecord, 'id'>,
  credentials: string,
): Promise<boolean> {
  const h = installations.health;
  const [res] = await db.batch([
    db
      .update(installations)
      .set({
        credentials,
        credentialsKid: jweKid(credentials) ?? '',
        health: sql`json_set(json_remove(coalesce(${h}, '{}'), '$.needsReauth'), '$.lastSuccessAt', ${Date.now()})`,
      })
      .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, row.id))),
    bumpCatalogVersion(db, tenant),
  ]);
  return res.meta.changes > 0;
}

/**
 * Counts a webhook delivery refused for its signature (missing or wrong: the vendor signs with another secret), in
 * one statement so concurrent refusals all count. Bumps `updated_at`, so the webhook route's cached row is read
 * afresh and the next accepted delivery sees the count to clear.
 */
export async function recordWebhookSignatureFailure(db: Db, tenant: OrgTenant, installationId: string): Promise<void> {
  const h = installations.health;
  await db
    .update(installations)
    .set({
      health: sql`json_set(coalesce(${h}, '{}'), '$.webhookSignatureFailures',
        coalesce(json_extract(${h}, '$.webhookSignatureFailures'), 0) + 1,
        '$.lastWebhookSignatureFailureAt', ${Date.now()})`,
    })
    .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, installationId)));
}

/** Clears the signature-failure count after an accepted delivery (a no-op when there is none). */
export async function clearWebhookSignatureFailures(db: Db, tenant: OrgTenant, installationId: string): Promise<void> {
  const h = installations.health;
  await db
    .update(installations)
    .set({ health: sql`json_remove(${h}, '$.webhookSignatureFailures')` })
    .where(
      and(
        eq(installations.organizationId, tenant.organizationId),
        eq(installations.id, installationId),
        sql`json_extract(${h}, '$.webhookSignatureFailures') > 0`,
      ),
    );
}

/** Removes an installation of the tenant (and with it its webhooks, sessions and publications). */
export async function deleteInstallation(db: Db, tenant: OrgTenant, installationId: string): Promise<boolean> {
  const [res] = await db.batch([
    db
      .delete(installations)
      .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, installationId))),
    bumpCatalogVersion(db, tenant),
  ]);
  return res.meta.changes > 0;
}

/** The statement that invalidates every cached tool list of the organization. */
export function bumpCatalogVersion(db: Db, tenant: OrgTenant) {
  return db
    .update(organizations)
    .set({ catalogVersion: sql`${organizations.catalogVersion} + 1` })
    .where(eq(organizations.id, tenant.organizationId));
}

/**
 * The installation a webhook URL names (`/webhook/<provider>/<installation id>`), for a code provider. Like token
 * lookup, this read starts without a tenant: the unguessable id in a URL we handed out is what names it. The
 * provider must match, so an id of one provider's installation cannot be used on another's endpoint.
 */
const providerWebhookInstallationQuery = preparedQuery((db) =>
  db
    .select()
    .from(installations)
    .where(
      and(
        eq(installations.id, sql.placeholder('installationId')),
        eq(installations.kind, 'provider'),
        eq(installations.source, sql.placeholder('provider')),
        eq(installations.status, 'active'),
      ),
    )
    .prepare(),
);

export async function findProviderInstallationForWebhook(
  db: Db,
  provider: string,
  installationId: string,
): Promise<InstallationRecord | null> {
  // A prepared query: it runs on every webhook delivery (pnpm bench, webhook ingest row).
  const row = await providerWebhookInstallationQuery(db).get({ installationId, provider });
  return row ?? null;
}

/**
 * The active catalog-template installation a webhook URL names (the `custom` provider's webhooks), or null. Like
 * `findProviderInstallationForWebhook`, the unguessable installation id in the URL is what starts without a tenant.
 */
export async function findTemplateInstallationForWebhook(
  db: Db,
  installationId: string,
): Promise<InstallationRecord | null> {
  const row = await db
    .select()
    .from(installations)
    .where(
      and(eq(installations.id, installationId), eq(installations.kind, 'template'), eq(installations.status, 'active')),
    )
    .get();
  return row ?? null;
}

/** Installations of a provider in the organization (both scopes). */
export async function listProviderInstallations(
  db: Db,
  tenant: OrgTenant,
  provider: string,
): Promise<InstallationRecord[]> {
  return db
    .select()
    .from(installations)
    .where(
      and(
        eq(installations.organizationId, tenant.organizationId),
        eq(installations.kind, 'provider'),
        eq(installations.source, provider),
      ),
    )
    .all();
}

/** Installations of a catalog template (by slug) in the organization, both scopes. */
export async function listTemplateInstallations(
  db: Db,
  tenant: OrgTenant,
  slug: string,
): Promise<InstallationRecord[]> {
  return db
    .select()
    .from(installations)
    .where(
      and(
        eq(installations.organizationId, tenant.organizationId),
        eq(installations.kind, 'template'),
        eq(installations.source, slug),
      ),
    )
    .all();
}

/**
 * Replaces an installation's credentials if they are still `expected` (compare-and-swap on the ciphertext), optionally
 * activating it; activation bumps the catalog version in the same batch so its tools appear. False when the row
 * changed meanwhile (or is not the tenant's).
 */
export async function swapInstallationCredentials(
  db: Db,
  tenant: OrgTenant,
  input: { installationId: string; expected: string; credentials: string; activate?: boolean },
): Promise<boolean> {
  const update = db
    .update(installations)
    .set({
      credentials: input.credentials,
      credentialsKid: jweKid(input.credentials) ?? '',
      updatedAt: Date.now(),
      refreshLockUntil: null,
      ...(input.activate ? { status: 'active' as const } : {}),
    })
    .where(
      and(
        eq(installations.organizationId, tenant.organizationId),
        eq(installations.id, input.installationId),
        eq(installations.credentials, input.expected),
      ),
    );
  if (!input.activate) return (await update.run()).meta.changes === 1;
  const [res] = await db.batch([update, bumpCatalogVersion(db, tenant)]);
  return res.meta.changes === 1;
}

/**
 * Takes the refresh lease of an installation for `ttlMs` if nobody holds it (one OAuth refresh at a time, across
 * isolates). True when this caller holds it; it ends with swapInstallationCredentials or at expiry.
 */
export async function acquireRefreshLease(
  db: Db,
  tenant: OrgTenant,
  installationId: string,
  ttlMs: number,
  now = Date.now(),
): Promise<boolean> {
  const res = await db
    .update(installations)
    .set({ refreshLockUntil: now + ttlMs })
    .where(
      and(
        eq(installations.organizationId, tenant.organizationId),
        eq(installations.id, installationId),
        or(isNull(installations.refreshLockUntil), lt(installations.refreshLockUntil, now)),
      ),
    )
    .run();
  return res.meta.changes === 1;
}

/** An installation of the tenant by id whatever its status (the OAuth callback activates pending ones). */
export async function findInstallation(
  db: Db,
  tenant: OrgTenant,
  installationId: string,
): Promise<InstallationRecord | null> {
  return (
    (await db
      .select()
      .from(installations)
      .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, installationId)))
      .get()) ?? null
  );
}

/** Gives the refresh lease back early (after a failed refresh). */
export async function releaseRefreshLease(db: Db, tenant: OrgTenant, installationId: string): Promise<void> {
  await db
    .update(installations)
    .set({ refreshLockUntil: null })
    .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, installationId)));
}
