/**
 * Organizations, workspaces, users, memberships and API tokens: what the admin CLI and the dev seed manage.
 * Creating an organization is the one write without a tenant (it creates one); everything else takes it.
 */
import { and, asc, eq, isNull } from 'drizzle-orm';
import {
  generateApiToken,
  sha256Hex,
  tokenDisplayPrefix,
  type OrgTenant,
  type Role,
  type WorkspaceTenant,
} from '@gatehouse/integrations-core';
import { newId, type Db } from './db.js';
import type { Principal, ToolDiscovery } from './principals.js';
import type { RateLimit } from './schema-limits.js';
import { apiTokens, memberships, organizations, users, workspaces } from './schema.js';

export type Organization = typeof organizations.$inferSelect;
export type Workspace = typeof workspaces.$inferSelect;
export type User = typeof users.$inferSelect;

/** Finds an organization by slug or id (CLI input), or null. */
export async function findOrganization(db: Db, slugOrId: string): Promise<Organization | null> {
  return (
    (await db.select().from(organizations).where(eq(organizations.slug, slugOrId)).get()) ??
    (await db.select().from(organizations).where(eq(organizations.id, slugOrId)).get()) ??
    null
  );
}

export async function listOrganizations(db: Db): Promise<Organization[]> {
  return db.select().from(organizations).orderBy(asc(organizations.createdAt), asc(organizations.slug)).all();
}

/** Creates an organization. Fails on a duplicate slug (unique constraint). */
export async function createOrganization(db: Db, input: { slug: string; name: string }): Promise<Organization> {
  const row = {
    id: newId(),
    slug: input.slug,
    name: input.name,
    catalogVersion: 0,
    runHistoryRetentionDays: 30,
    createdAt: Date.now(),
  };
  await db.insert(organizations).values(row);
  return row;
}

export async function listWorkspaces(db: Db, tenant: OrgTenant): Promise<Workspace[]> {
  return db
    .select()
    .from(workspaces)
    .where(eq(workspaces.organizationId, tenant.organizationId))
    .orderBy(asc(workspaces.createdAt))
    .all();
}

/** A workspace of the tenant by slug or id, or null (never one of another organization). */
export async function findWorkspace(db: Db, tenant: OrgTenant, slugOrId: string): Promise<Workspace | null> {
  const rows = await db.select().from(workspaces).where(eq(workspaces.organizationId, tenant.organizationId)).all();
  return rows.find((w) => w.slug === slugOrId || w.id === slugOrId) ?? null;
}

export async function getWorkspace(db: Db, tenant: WorkspaceTenant): Promise<Workspace | null> {
  return (
    (await db
      .select()
      .from(workspaces)
      .where(and(eq(workspaces.organizationId, tenant.organizationId), eq(workspaces.id, tenant.workspaceId)))
      .get()) ?? null
  );
}

export async function createWorkspace(
  db: Db,
  tenant: OrgTenant,
  input: { slug: string; name: string; vision?: string | null; okrs?: string[] },
): Promise<Workspace> {
  const row = {
    id: newId(),
    organizationId: tenant.organizationId,
    slug: input.slug,
    name: input.name,
    vision: input.vision ?? null,
    okrs: input.okrs ?? [],
    instructions: null,
    toolDiscovery: 'auto' as const,
    rateLimit: null,
    createdAt: Date.now(),
  };
  await db.insert(workspaces).values(row);
  return row;
}

export async function findUserByEmail(db: Db, email: string): Promise<User | null> {
  return (await db.select().from(users).where(eq(users.email, email.toLowerCase())).get()) ?? null;
}

/** Members of the tenant with their role. */
export async function listMembers(
  db: Db,
  tenant: OrgTenant,
): Promise<Array<Omit<User, 'passwordHash'> & { role: Role }>> {
  return db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      createdAt: users.createdAt,
      role: memberships.role,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, tenant.organizationId))
    .orderBy(asc(memberships.createdAt))
    .all();
}

/**
 * Adds a user to the tenant with a role, creating the user if the email is new; an existing member's role is
 * updated. One batch, so a user is never left without the membership.
 */
export async function upsertMember(
  db: Db,
  tenant: OrgTenant,
  input: { email: string; displayName?: string; role: Role },
): Promise<Omit<User, 'passwordHash'> & { role: Role }> {
  const email = input.email.toLowerCase();
  const existing = await findUserByEmail(db, email);
  const user = existing ?? {
    id: newId(),
    email,
    displayName: input.displayName ?? email.split('@')[0]!,
    passwordHash: null,
    createdAt: Date.now(),
  };
  const membership = db
    .insert(memberships)
    .values({ organizationId: tenant.organizationId, userId: user.id, role: input.role, createdAt: Date.now() })
    .onConflictDoUpdate({ target: [memberships.organizationId, memberships.userId], set: { role: input.role } });
  if (existing) await membership;
  else await db.batch([db.insert(users).values(user), membership]);
  const { passwordHash: _hash, ...safe } = user;
  return { ...safe, role: input.role };
}

export interface IssuedToken {
  id: string;
  /** The plaintext token: returned once, never stored. */
  token: string;
  role: Role;
  workspaceId: string;
  userId: string;
}

/** Issues an API token for a member of the tenant, bound to one of its workspaces. */
export async function createApiToken(
  db: Db,
  tenant: WorkspaceTenant,
  input: { userId: string; role: Role; name: string; expiresAt?: number | null },
): Promise<IssuedToken> {
  const token = generateApiToken();
  const id = newId();
  await db.insert(apiTokens).values({
    id,
    organizationId: tenant.organizationId,
    workspaceId: tenant.workspaceId,
    userId: input.userId,
    role: input.role,
    name: input.name,
    tokenHash: await sha256Hex(token),
    displayPrefix: tokenDisplayPrefix(token),
    createdAt: Date.now(),
    expiresAt: input.expiresAt ?? null,
  });
  return { id, token, role: input.role, workspaceId: tenant.workspaceId, userId: input.userId };
}

/** Tokens of the tenant, without hashes. */
export async function listApiTokens(db: Db, tenant: OrgTenant) {
  return db
    .select({
      id: apiTokens.id,
      name: apiTokens.name,
      displayPrefix: apiTokens.displayPrefix,
      role: apiTokens.role,
      userId: apiTokens.userId,
      workspaceId: apiTokens.workspaceId,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
    })
    .from(apiTokens)
    .where(eq(apiTokens.organizationId, tenant.organizationId))
    .orderBy(asc(apiTokens.createdAt))
    .all();
}

/** Revokes a token of the tenant. Returns false when no live token of this tenant has that id. */
export async function revokeApiToken(db: Db, tenant: OrgTenant, tokenId: string): Promise<boolean> {
  const res = await db
    .update(apiTokens)
    .set({ revokedAt: Date.now() })
    .where(
      and(eq(apiTokens.organizationId, tenant.organizationId), eq(apiTokens.id, tokenId), isNull(apiTokens.revokedAt)),
    )
    .run();
  return res.meta.changes > 0;
}

/**
 * Changes the workspace's MCP settings in one statement: `instructions` (null = the default text), `toolDiscovery`
 * (how tools/list presents the tools; the mode arrives with the principal on every request, so no cache needs
 * invalidating), `rateLimit` of integration tool calls (null removes it). Absent fields stay. False when the
 * workspace is gone.
 */
export async function updateWorkspaceSettings(
  db: Db,
  tenant: WorkspaceTenant,
  patch: { instructions?: string | null; toolDiscovery?: ToolDiscovery; rateLimit?: RateLimit | null },
): Promise<boolean> {
  const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as typeof patch;
  if (Object.keys(set).length === 0) return true;
  const res = await db
    .update(workspaces)
    .set(set)
    .where(and(eq(workspaces.organizationId, tenant.organizationId), eq(workspaces.id, tenant.workspaceId)))
    .run();
  return res.meta.changes > 0;
}

/** Sets a user's sign-in password hash (from integrations-core hashPassword). */
export async function setUserPasswordHash(db: Db, userId: string, passwordHash: string): Promise<void> {
  await db.update(users).set({ passwordHash }).where(eq(users.id, userId));
}

/**
 * The sign-in facts for an e-mail or user id: the user and its password hash. Null when the user is unknown or has no
 * workspace to act in (no membership of an organization that has one). Where a grant acts is picked among
 * `listSignInWorkspaces`.
 */
export async function findSignInAccount(db: Db, who: { email: string } | { userId: string }) {
  const row = await db
    .select({ userId: users.id, email: users.email, passwordHash: users.passwordHash })
    .from(users)
    .innerJoin(memberships, eq(memberships.userId, users.id))
    .innerJoin(workspaces, eq(workspaces.organizationId, memberships.organizationId))
    .where('email' in who ? eq(users.email, who.email.toLowerCase()) : eq(users.id, who.userId))
    .limit(1)
    .get();
  return row ?? null;
}

/** A workspace a user can sign an OAuth grant into: one of the workspaces of an organization they are a member of. */
export type SignInWorkspace = Pick<
  Principal,
  'organizationId' | 'organizationSlug' | 'organizationName' | 'workspaceId' | 'workspaceSlug' | 'workspaceName'
>;

/**
 * Every workspace of every organization the user is a member of, in membership then workspace order (the first is
 * the default). The consent page offers them; the grant is issued only for one of these.
 */
export async function listSignInWorkspaces(db: Db, userId: string): Promise<SignInWorkspace[]> {
  return db
    .select({
      organizationId: organizations.id,
      organizationSlug: organizations.slug,
      organizationName: organizations.name,
      workspaceId: workspaces.id,
      workspaceSlug: workspaces.slug,
      workspaceName: workspaces.name,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .innerJoin(workspaces, eq(workspaces.organizationId, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(asc(memberships.createdAt), asc(workspaces.createdAt))
    .all();
}
