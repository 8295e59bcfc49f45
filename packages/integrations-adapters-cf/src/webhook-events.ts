/**
 * Inbound webhook deliveries, recorded once per (installation, vendor delivery id). The unique key is what makes a
 * redelivery a no-op: `recordDelivery` reports `duplicate` and the caller dispatches nothing.
 */
import { and, or, eq } from 'drizzle-orm';
import type { OrgTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { webhookEvents } from './schema.js';

export type WebhookEventStatus = 'received' | 'dispatched' | 'ignored' | 'failed';

export interface DeliveryRecord {
  id: string;
  status: WebhookEventStatus;
  /** The vendor delivery id the row was first recorded under (a replay arrives under another). */
  deliveryId: string;
  /** When the status last changed, epoch milliseconds. */
  updatedAt: number;
}

const recordColumns = { id: webhookEvents.id, status: webhookEvents.status, deliveryId: webhookEvents.deliveryId, updatedAt: webhookEvents.updatedAt };

/**
 * Inserts the delivery unless the same (installation, deliveryId) exists. Returns `new` with the row, or
 * `duplicate` with the stored row (a `failed` one may be retried by the caller).
 */
export async function recordDelivery(
  db: Db,
  tenant: OrgTenant,
  input: { installationId: string; provider: string; deliveryId: string; bodySha256: string; eventName: string; status: WebhookEventStatus },
): Promise<{ outcome: 'new' | 'duplicate'; record: DeliveryRecord }> {
  const now = Date.now();
  const id = newId();
  // Either unique key (delivery id, or body hash) makes it a duplicate: a redelivery, or a replay under a new id.
  const inserted = await db
    .insert(webhookEvents)
    .values({ id, organizationId: tenant.organizationId, ...input, receivedAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning(recordColumns);
  if (inserted[0]) return { outcome: 'new', record: inserted[0] };
  const existing = await db
    .select(recordColumns)
    .from(webhookEvents)
    .where(
      and(
        eq(webhookEvents.organizationId, tenant.organizationId),
        eq(webhookEvents.installationId, input.installationId),
        or(eq(webhookEvents.deliveryId, input.deliveryId), eq(webhookEvents.bodySha256, input.bodySha256)),
      ),
    )
    .get();
  if (!existing) throw new Error('webhook_events conflict without a row of this tenant');
  return { outcome: 'duplicate', record: existing };
}

/** Moves a delivery of the tenant to a new status. */
export async function setDeliveryStatus(db: Db, tenant: OrgTenant, id: string, status: WebhookEventStatus): Promise<void> {
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
    .where(and(eq(webhookEvents.organizationId, tenant.organizationId), eq(webhookEvents.installationId, installationId)))
    .all();
}
