/**
 * The record of signed internal messages already accepted (packages/integrations-core/src/internal-message.ts):
 * one row per message id, so a message replayed inside its signing window is refused. Not tenant data: a message
 * names its organization only inside its verified body.
 */
import { and, eq, lt, sql } from 'drizzle-orm';
import { SIGNED_MESSAGE_TOLERANCE_SEC, type OrgTenant, type SignedInternalMessage } from '@gatehouse/integrations-core';
import type { Db } from './db.js';
import { agentsHandlingQuery, type AgentRecord } from './agents.js';
import type { InstallationRecord } from './installations.js';
import { installations, internalMessageReceipts } from './schema.js';

/**
 * Records a verified message's id. Returns false when that id was recorded before (a replay): the caller refuses
 * the message. One INSERT … ON CONFLICT DO NOTHING, so two concurrent deliveries of one message cannot both pass.
 */
export async function recordInternalMessage(
  db: Db,
  message: Pick<SignedInternalMessage, 'id' | 'direction'>,
  now = Date.now(),
): Promise<boolean> {
  const res = await db
    .insert(internalMessageReceipts)
    .values({ id: message.id, direction: message.direction, receivedAt: now })
    .onConflictDoNothing();
  return res.meta.changes === 1;
}

/**
 * Records a verified message's id and reads the installation it names, in one D1 batch (one round trip: the receiver
 * needs both before anything else). `fresh` is false for a replay (the id was recorded before): refuse the message.
 * With `agentsFor` (the dispatch's provider), the same batch reads the agents that handle the installation.
 */
export async function recordInternalMessageAndFindInstallation(
  db: Db,
  message: Pick<SignedInternalMessage, 'id' | 'direction'>,
  tenant: OrgTenant,
  installationId: string,
  options: { agentsFor?: string } = {},
  now = Date.now(),
): Promise<{ fresh: boolean; installation: InstallationRecord | null; agents: AgentRecord[] }> {
  const receipt = db
    .insert(internalMessageReceipts)
    .values({ id: message.id, direction: message.direction, receivedAt: now })
    .onConflictDoNothing();
  const installation = db
    .select()
    .from(installations)
    .where(and(eq(installations.organizationId, tenant.organizationId), eq(installations.id, installationId)));
  if (options.agentsFor === undefined) {
    const [recorded, rows] = await db.batch([receipt, installation]);
    return { fresh: recorded.meta.changes === 1, installation: rows[0] ?? null, agents: [] };
  }
  const [recorded, rows, handling] = await db.batch([
    receipt,
    installation,
    agentsHandlingQuery(db, tenant, installationId, options.agentsFor),
  ]);
  return { fresh: recorded.meta.changes === 1, installation: rows[0] ?? null, agents: handling };
}

/**
 * Deletes receipts older than twice the signing window (a message that old is refused as stale before its id is
 * looked at), at most `limit` rows per call. Returns the number deleted.
 */
export async function purgeInternalMessageReceipts(db: Db, limit: number, now = Date.now()): Promise<number> {
  const before = now - 2 * SIGNED_MESSAGE_TOLERANCE_SEC * 1000;
  const res = await db.run(
    sql`delete from ${internalMessageReceipts} where ${internalMessageReceipts.id} in (select ${internalMessageReceipts.id} from ${internalMessageReceipts} where ${lt(internalMessageReceipts.receivedAt, before)} limit ${limit})`,
  );
  return res.meta.changes;
}
