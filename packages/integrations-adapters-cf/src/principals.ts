/**
 * Resolving an API token to the principal behind it: the one read that starts without a tenant, because the token is
 * what names the tenant. Everything after it is scoped by the principal's organization and workspace.
 */
import { and, eq, gt, isNull, sql, type SQLWrapper } from 'drizzle-orm';
import { lesserRole, type Role } from '@gatehouse/integrations-core';
import type { Db } from './db.js';
import { preparedQuery } from './prepared.js';
import { apiTokens, mcpSessions, memberships, organizations, users, workspaces, type RateLimit } from './schema.js';

/** How tools/list presents a workspace's tools (workspaces.tool_discovery). */
export type ToolDiscovery = (typeof workspaces.toolDiscovery.enumValues)[number];

export interface Principal {
  tokenId: string;
  userId: string;
  email: string;
  displayName: string;
  organizationId: string;
  organizationSlug: string;
  organizationName: string;
  workspaceId: string;
  workspaceSlug: string;
  workspaceName: string;
  /** The workspace's MCP server instructions, or null for the default. */
  workspaceInstructions: string | null;
  /** workspaces.tool_discovery: how tools/list presents the tools (`auto`, `list`, `search`). */
  workspaceToolDiscovery: ToolDiscovery;
  /** workspaces.rate_limit: the limit of integration tool calls per user and tool (null = none). */
  workspaceRateLimit: RateLimit | null;
  /** Effective role: the lesser of the token's role and the user's membership role. */
  role: Role;
  /** organizations.catalog_version at the time of the read; keys the tool-list cache. */
  catalogVersion: number;
  /** organizations.run_history_retention_days: 0 = the organization records no run history. */
  runHistoryRetentionDays: number;
}

/** The columns every principal read selects (the token read adds its own). */
const principalColumns = {
  userId: users.id,
  email: users.email,
  displayName: users.displayName,
  organizationId: organizations.id,
  organizationSlug: organizations.slug,
  organizationName: organizations.name,
  catalogVersion: organizations.catalogVersion,
  runHistoryRetentionDays: organizations.runHistoryRetentionDays,
  workspaceId: workspaces.id,
  workspaceSlug: workspaces.slug,
  workspaceName: workspaces.name,
  workspaceInstructions: workspaces.instructions,
  workspaceToolDiscovery: workspaces.toolDiscovery,
  workspaceRateLimit: workspaces.rateLimit,
  sessionId: mcpSessions.id,
  sessionLastSeenAt: mcpSessions.lastSeenAt,
  sessionContextDeliveredAt: mcpSessions.contextDeliveredAt,
};

/**
 * The left join that brings the request's MCP session along, matched on the principal's organization, workspace and
 * user and required live: another user's, another workspace's, an ended or an expired session joins nothing. The
 * session id and the clock are the prepared query's `sessionId` and `now` placeholders.
 */
function liveSessionJoin(organizationId: SQLWrapper, workspaceId: SQLWrapper, userId: SQLWrapper) {
  return and(
    eq(mcpSessions.id, sql.placeholder('sessionId')),
    eq(mcpSessions.organizationId, organizationId),
    eq(mcpSessions.workspaceId, workspaceId),
    eq(mcpSessions.userId, userId),
    isNull(mcpSessions.endedAt),
    gt(mcpSessions.expiresAt, sql.placeholder('now')),
  );
}

const tokenQuery = preparedQuery((db) =>
  db
    .select({
      tokenId: apiTokens.id,
      tokenRole: apiTokens.role,
      expiresAt: apiTokens.expiresAt,
      memberRole: memberships.role,
      ...principalColumns,
    })
    .from(apiTokens)
    .innerJoin(
      memberships,
      and(eq(memberships.userId, apiTokens.userId), eq(memberships.organizationId, apiTokens.organizationId)),
    )
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .innerJoin(organizations, eq(organizations.id, apiTokens.organizationId))
    .innerJoin(
      workspaces,
      and(eq(workspaces.id, apiTokens.workspaceId), eq(workspaces.organizationId, apiTokens.organizationId)),
    )
    .leftJoin(mcpSessions, liveSessionJoin(apiTokens.organizationId, apiTokens.workspaceId, apiTokens.userId))
    .where(and(eq(apiTokens.tokenHash, sql.placeholder('tokenHash')), isNull(apiTokens.revokedAt)))
    .prepare(),
);

const grantQuery = preparedQuery((db) =>
  db
    .select({ role: memberships.role, ...principalColumns })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .innerJoin(
      workspaces,
      and(eq(workspaces.id, sql.placeholder('workspaceId')), eq(workspaces.organizationId, memberships.organizationId)),
    )
    .leftJoin(mcpSessions, liveSessionJoin(memberships.organizationId, workspaces.id, memberships.userId))
    .where(
      and(
        eq(memberships.userId, sql.placeholder('userId')),
        eq(memberships.organizationId, sql.placeholder('organizationId')),
      ),
    )
    .prepare(),
);

function sessionOf(row: {
  sessionId: string | null;
  sessionLastSeenAt: number | null;
  sessionContextDeliveredAt: number | null;
}): PrincipalSession | null {
  return row.sessionId && row.sessionLastSeenAt !== null
    ? { id: row.sessionId, lastSeenAt: row.sessionLastSeenAt, contextDelivered: row.sessionContextDeliveredAt !== null }
    : null;
}

/** The MCP session named by the request, when it is live and belongs to the principal (else null). */
export interface PrincipalSession {
  id: string;
  lastSeenAt: number;
  /** Whether the session's first-call context went out already (then no compare-and-swap write is needed). */
  contextDelivered: boolean;
}

/**
 * One indexed SELECT (token hash → token ⨝ membership ⨝ user ⨝ workspace ⨝ organization). Returns null for an
 * unknown, revoked or expired token, or one whose user left the organization.
 *
 * With `sessionId`, the same SELECT also left-joins that MCP session, matched on the principal's organization,
 * workspace and user and required live (not ended, not expired): `session` is null for anyone else's session. One
 * D1 round trip authenticates an MCP request and checks its session.
 */
export async function findPrincipalByTokenHash(
  db: Db,
  tokenHash: string,
  now = Date.now(),
  sessionId?: string,
): Promise<(Principal & { session: PrincipalSession | null }) | null> {
  const row = await tokenQuery(db).get({ tokenHash, now, sessionId: sessionId ?? '' });
  if (!row || (row.expiresAt !== null && row.expiresAt <= now)) return null;
  const {
    tokenRole,
    memberRole,
    expiresAt: _expiresAt,
    sessionId: _sid,
    sessionLastSeenAt: _seen,
    sessionContextDeliveredAt: _ctx,
    ...rest
  } = row;
  return { ...rest, role: lesserRole(tokenRole, memberRole), session: sessionOf(row) };
}

/**
 * The principal of an OAuth grant: the user, in the organization and workspace the grant was issued for, with the
 * membership role as it is now (a user removed from the organization resolves to null, so their tokens stop working
 * at once). Same single SELECT shape as the token lookup, with the MCP session left-joined when named.
 */
export async function findPrincipalForGrant(
  db: Db,
  grant: { userId: string; organizationId: string; workspaceId: string; clientId: string },
  now = Date.now(),
  sessionId?: string,
): Promise<(Principal & { session: PrincipalSession | null }) | null> {
  const { userId, organizationId, workspaceId } = grant;
  const row = await grantQuery(db).get({ userId, organizationId, workspaceId, now, sessionId: sessionId ?? '' });
  if (!row) return null;
  const { sessionId: _sid, sessionLastSeenAt: _seen, sessionContextDeliveredAt: _ctx, ...rest } = row;
  return { ...rest, tokenId: `oauth:${grant.clientId}`, session: sessionOf(row) };
}
