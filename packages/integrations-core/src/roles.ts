/**
 * Organization roles and OAuth scopes, as named by the MCP gateway docs ("Access to tools is determined by your
 * authentication method and user role").
 */

/** One role per user per organization. Ordered from most to least privileged. */
export const ROLES = ['SUPERADMIN', 'ADMIN', 'MEMBER'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { SUPERADMIN: 3, ADMIN: 2, MEMBER: 1 };

/** True when `role` is at least as privileged as `required`. */
export function roleAtLeast(role: Role, required: Role): boolean {
  return RANK[role] >= RANK[required];
}

/** The less privileged of two roles: a token never carries more than its user's membership. */
export function lesserRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
}

/** OAuth scopes a tool may require. API tokens carry all of them (their role still limits them). */
export const MCP_SCOPES = ['mcp:read', 'mcp:write', 'mcp:execute', 'mcp:admin'] as const;
export type McpScope = (typeof MCP_SCOPES)[number];

/** Installation scope: `local` = one workspace, `global` = the whole organization. */
export const INSTALLATION_SCOPES = ['local', 'global'] as const;
export type InstallationScope = (typeof INSTALLATION_SCOPES)[number];
