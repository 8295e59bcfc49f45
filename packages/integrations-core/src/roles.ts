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

/**
 * Who may install where, the same rule for `install_integration` (templates) and `POST /install/<provider>`: a
 * MEMBER installs Local into the workspace of their own token only; a Global install, or a Local one into another
 * workspace, needs ADMIN (or SUPERADMIN). A Global installation serves every workspace of the organization and its
 * webhooks start sessions there, so it is an organization-wide decision. Returns the refusal, or null when allowed.
 */
export function installRefusal(
  role: Role,
  install: { scope: InstallationScope; workspaceId: string },
  ownWorkspaceId: string,
): string | null {
  if (roleAtLeast(role, 'ADMIN')) return null;
  if (install.scope === 'global')
    return 'a Global installation serves the whole organization and needs an ADMIN; install it with scope Local for your workspace, or ask an ADMIN';
  if (install.workspaceId !== ownWorkspaceId)
    return 'installing into another workspace needs an ADMIN; install into your own workspace or ask an ADMIN';
  return null;
}
