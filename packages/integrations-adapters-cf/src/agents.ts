/**
 * Agents (schema.ts `agents`): rows of one organization, Local to a workspace or Global. Visibility follows
 * installations: a workspace sees its Local agents and the organization's Global ones. The API key column holds the
 * caller's JWE; this module never sees a plaintext key.
 */
import { and, asc, eq, or, sql } from 'drizzle-orm';
import type { OrgTenant, WorkspaceTenant } from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import { agents, installations } from './schema.js';

export type AgentRecord = typeof agents.$inferSelect;

/** What create_agent stores (ids, timestamps and the organization are filled in). */
export type NewAgent = Omit<AgentRecord, 'id' | 'organizationId' | 'createdAt' | 'updatedAt'>;

function visibleIn(tenant: WorkspaceTenant) {
  return and(
    eq(agents.organizationId, tenant.organizationId),
    or(eq(agents.scope, 'global'), eq(agents.workspaceId, tenant.workspaceId)),
  );
}

/** Inserts an agent; null when the organization already has one with that name (`agents_org_name`). */
export async function createAgent(db: Db, tenant: OrgTenant, input: NewAgent): Promise<AgentRecord | null> {
  const now = Date.now();
  const row: AgentRecord = {
    ...input,
    id: newId(),
    organizationId: tenant.organizationId,
    createdAt: now,
    updatedAt: now,
  };
  const inserted = await db.insert(agents).values(row).onConflictDoNothing().returning({ id: agents.id });
  return inserted.length ? row : null;
}

/** Agents visible in the workspace, by name. */
export async function listVisibleAgents(db: Db, tenant: WorkspaceTenant): Promise<AgentRecord[]> {
  return db.select().from(agents).where(visibleIn(tenant)).orderBy(asc(agents.name)).all();
}

/** One agent visible in the workspace, by id or name, or null. */
export async function findVisibleAgent(db: Db, tenant: WorkspaceTenant, idOrName: string): Promise<AgentRecord | null> {
  const row = await db
    .select()
    .from(agents)
    .where(and(visibleIn(tenant), or(eq(agents.id, idOrName), eq(agents.name, idOrName))))
    .get();
  return row ?? null;
}

/** An agent of the organization by id (any workspace), or null: for runs, which carry their own workspace. */
export async function findAgent(db: Db, tenant: OrgTenant, id: string): Promise<AgentRecord | null> {
  const row = await db
    .select()
    .from(agents)
    .where(and(eq(agents.organizationId, tenant.organizationId), eq(agents.id, id)))
    .get();
  return row ?? null;
}

/**
 * Applies `patch` to the agent visible in the workspace. Answers the updated row, null when there is no such agent,
 * or `name_taken` when the new name is another agent's.
 */
export async function updateAgent(
  db: Db,
  tenant: WorkspaceTenant,
  id: string,
  patch: Partial<NewAgent>,
): Promise<AgentRecord | null | 'name_taken'> {
  if (patch.name !== undefined) {
    // Checked first for a clear answer; the unique index still guards a concurrent rename (then a logged 500).
    const other = await db
      .select({ id: agents.id })
      .from(agents)
      .where(and(eq(agents.organizationId, tenant.organizationId), eq(agents.name, patch.name)))
      .get();
    if (other && other.id !== id) return 'name_taken';
  }
  const rows = await db
    .update(agents)
    .set({ ...patch, updatedAt: Date.now() })
    .where(and(visibleIn(tenant), eq(agents.id, id)))
    .returning();
  return rows[0] ?? null;
}

/** Deletes the agent visible in the workspace (its runs and their steps go with it); whether one was deleted. */
export async function deleteAgent(db: Db, tenant: WorkspaceTenant, id: string): Promise<boolean> {
  const rows = await db
    .delete(agents)
    .where(and(visibleIn(tenant), eq(agents.id, id)))
    .returning({ id: agents.id });
  return rows.length > 0;
}

/**
 * Enabled agents that work sessions of this installation: `handles` names the installation or its provider, and the
 * agent's workspace sees the installation (a Local installation's own workspace, or any for a Global one). Not
 * awaited: a query for a caller's D1 batch (the dispatch receiver reads it with the message receipt, one round trip).
 */
export function agentsHandlingQuery(db: Db, tenant: OrgTenant, installationId: string, provider: string) {
  const handles = [`installation:${installationId}`, `provider:${provider}`];
  const installationWorkspace = sql`(select ${installations.workspaceId} from ${installations}
    where ${installations.id} = ${installationId} and ${installations.organizationId} = ${tenant.organizationId})`;
  return db
    .select()
    .from(agents)
    .where(
      and(
        eq(agents.organizationId, tenant.organizationId),
        eq(agents.enabled, true),
        sql`(${installationWorkspace} is null or ${agents.workspaceId} = ${installationWorkspace})`,
        sql`exists (select 1 from json_each(${agents.handles}) where value in (${handles[0]}, ${handles[1]}))`,
      ),
    )
    .orderBy(asc(agents.name));
}
