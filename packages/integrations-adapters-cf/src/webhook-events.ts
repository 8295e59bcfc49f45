/**
 * Inbound webhook deliveries, recorded once per (installation, vendor delivery id). The unique key is what makes a
 * redelivery a no-op: `recordDelivery` reports `duplicate` and the caller dispatches nothing.
 */
import { and, eq, or, sql } from 'drizzle-orm';
import type { OrgTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { preparedQuery } from './prepared.js';
import { webhookEvents } from './schema.js';

export type WebhookEventStatus = 'received' | 'dispatched' | 'ignored' | 'failed';

/** What the pipeline needs of a delivery row to decide about a repeat. */
export interface DeliveryRecord {
  id: string;
  status: WebhookEventStatus;
  /** The vendor delivery id the row was first recorded under (a replay arrives under another). */
  deliveryId: string;
  /** When the status last changed, epoch milliseconds. */
  updatedAt: number;
}

const recordColumns = {
  id: webhookEvents.id,
  status: webhookEvents.status,
  deliveryId: webhookEvents.deliveryId,
  updatedAt: webhookEvents.updatedAt,
};

const insertDeliveryQuery = preparedQuery((db) =>
  db
    .insert(webhookEvents)
    .values({
      id: sql.placeholder('id'),
      organizationId: sql.placeholder('organizationId'),
      installationId: sql.placeholder('installationId'),
      provider: sql.placeholder('provider'),
      deliveryId: sql.placeholder('deliveryId'),
      bodySha256: sql.placeholder('bodySha256'),
      eventName: sql.placeholder('eventName'),
      status: sql.placeholder('status'),
      receivedAt: sql.placeholder('receivedAt'),
      updatedAt: sql.placeholder('updatedAt'),
    })
    .onConflictDoNothing()
    .returning(recordColumns)
    .prepare(),
);

const existingDeliveryQuery = preparedQuery((db) =>
  db
    .select(recordColumns)
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.organizationId, sql.placeholder('organizationId')),
        eq(webhookEvents.installationId, sql.placeholder('installationId')),
        or(
          eq(webhookEvents.deliveryId, sql.placeholder('deliveryId')),
          eq(webhookEvents.bodySha256, sql.placeholder('bodySha256')),
        ),
      ),
    )
    .prepare(),
);

/** A delivery to record: its installation, provider, vendor delivery id, body hash, event name and first status. */
export interface NewDelivery {
  installationId: string;
  provider: string;
  deliveryId: string;
  bodySha256: string;
  eventName: string;
  status: WebhookEventStatus;
}

/**
 * Inserts the delivery unless the same (installation, deliveryId) exists. Returns `new` with the row, or
 * `duplicate` with the stored row (a `failed` one may be retried by the caller).
 */
export async function recordDelivery(
  db: Db,
  tenant: OrgTenant,
  input: NewDelivery,
): Promise<{ outcome: 'new' | 'duplicate'; record: DeliveryRecord }> {
  const now = Date.now();
  // Either unique key (delivery id, or body hash) makes it a duplicate: a redelivery, or a replay under a new id.
  // Prepared queries: these run on every webhook delivery (pnpm bench, webhook ingest row).
  const inserted = await insertDeliveryQuery(db).all({
    id: newId(),
    organizationId: tenant.organizationId,
    ...input,
    receivedAt: now,
    updatedAt: now,
  });
  if (inserted[0]) return { outcome: 'new', record: inserted[0] };
  const existing = await existingDeliveryQuery(db).get({
    organizationId: tenant.organizationId,
    installationId: input.installationId,
    deliveryId: input.deliveryId,
    bodySha256: input.bodySha256,
  });
  if (!existing) throw new Error('webhook_events conflict without a row of this tenant');
  return { outcome: 'duplicate', record: existing };
}

/**
 * One statement for the common case of `recordDelivery`: the delivery is inserted only while its installation is
 * still as the caller last read it (active, the same credentials ciphertext, the same `updated_at`), so a caller that
 * verified a signature with a cached installation row learns in the same round trip whether that row still holds.
 * `new` with the row, or `unconfirmed`: nothing was written, because the delivery is a duplicate or the installation
 * changed (disabled, removed, re-keyed, or any other update: `updated_at` moves with every update, schema.ts); the
 * caller then reads the installation afresh and takes `recordDelivery`. SQLite's INSERT … SELECT … ON CONFLICT DO
 * NOTHING (https://www.sqlite.org/lang_upsert.html: the SELECT has a WHERE, which resolves the parsing ambiguity).
 */
export async function recordDeliveryIfInstallationUnchanged(
  db: Db,
  tenant: OrgTenant,
  input: NewDelivery,
  seen: { credentials: string; updatedAt: number },
): Promise<{ outcome: 'new'; record: DeliveryRecord } | { outcome: 'unconfirmed' }> {
  const now = Date.now();
  const row = await confirmedInsertStatement(db)
    .bind(
      newId(),
      input.provider,
      input.deliveryId,
      input.bodySha256,
      input.eventName,
      input.status,
      now,
      input.installationId,
      tenant.organizationId,
      seen.credentials,
      seen.updatedAt,
    )
    .first<DeliveryRecord>();
  return row ? { outcome: 'new', record: row } : { outcome: 'unconfirmed' };
}

// Raw SQL: drizzle's insert-from-select cannot mix bound values with the selected installation columns here.
const confirmedInsertStatement = preparedQuery((db) =>
  db.$client.prepare(
    `INSERT INTO webhook_events (id, organization_id, installation_id, provider, delivery_id, body_sha256, event_name, status, received_at, updated_at)
     SELECT ?1, i.organization_id, i.id, ?2, ?3, ?4, ?5, ?6, ?7, ?7 FROM installations i
     WHERE i.id = ?8 AND i.organization_id = ?9 AND i.status = 'active' AND i.credentials = ?10 AND i.updated_at = ?11
     ON CONFLICT DO NOTHING
     RETURNING id, status, delivery_id AS deliveryId, updated_at AS updatedAt`,
  ),
);

/** Moves a delivery of the tenant to a new status. */
export async function setDeliveryStatus(
  db: Db,
  tenant: OrgTenant,
  id: string,
  status: WebhookEventStatus,
): Promise<void> {
  await db
    .update(webhookEvents)
    .set({ status, updatedAt: Date.now() })
    .where(and(eq(webhookEvents.organizationId, tenant.organizationId), eq(webhookEvents.id, id)));
}

/** Deliveries of an installation of the tenant, newest first. */
export async function listDeliveries(db: Db, tenant: OrgTenant, installationId: string) {
  return db
    .select()
    .from(webhookEvents)
    .where(
      and(eq(webhookEvents.organizationId, tenant.organizationId), eq(webhookEvents.installationId, installationId)),
    )
    .all();
}
