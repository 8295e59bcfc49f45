/**
 * `gatehouse token create|list|revoke`: API tokens for MCP clients (`Authorization: Bearer gth_…`).
 * Only the SHA-256 of a token is stored (integrations-core tokens.ts), so `create` is the one time it is shown and
 * `list` shows ids and display prefixes, never hashes.
 */
import { CliError } from '../cli-error.mts';
import {
  optionalExpiry,
  optionalString,
  parseEmail,
  requireRole,
  requireSlug,
  requireString,
  type OptionValues,
  type parseOrgOnly,
} from '../cli-input.mts';
import { isoTime, table, type CommandResult } from '../output.mts';
import { requireOrganization, requireWorkspace } from '../tenant-lookup.mts';
import {
  createApiToken,
  listApiTokens,
  listMembers,
  listWorkspaces,
  revokeApiToken,
  roleAtLeast,
  type Db,
  type Organization,
  type Role,
  type User,
} from '../workspace-packages.mts';

/** Default `--name` of tokens made with `token create`. */
export const DEFAULT_TOKEN_NAME = 'cli';

type Member = Omit<User, 'passwordHash'> & { role: Role };

/** What `token create --json` prints (and `pnpm dev` uses). `token` is the plaintext, shown this once. */
export interface IssuedTokenJson {
  token: string;
  id: string;
  name: string;
  role: Role;
  organization: string;
  workspace: string;
  user: string;
  expiresAt: string | null;
}

/**
 * The member a token is issued for. With an email: that member, who must hold at least `role` (a token never carries
 * more than its user's membership; principals.ts takes the lesser of the two). Without: the first SUPERADMIN,
 * else the first member whose role is at least `role`.
 */
export function pickTokenUser(members: readonly Member[], role: Role, orgSlug: string, email?: string): Member {
  if (email !== undefined) {
    const member = members.find((m) => m.email === email);
    if (!member) {
      throw new CliError(
        `${email} is not a member of "${orgSlug}"; add it with \`pnpm gatehouse user add --org ${orgSlug} --email ${email} --role ${role}\``,
      );
    }
    if (!roleAtLeast(member.role, role)) {
      throw new CliError(
        `${email} is ${member.role} in "${orgSlug}", so a token with role ${role} would exceed theirs; ` +
          `use --role ${member.role} or raise their role with \`pnpm gatehouse user add\``,
      );
    }
    return member;
  }
  const member = members.find((m) => m.role === 'SUPERADMIN') ?? members.find((m) => roleAtLeast(m.role, role));
  if (!member) {
    throw new CliError(
      `organization "${orgSlug}" has no member with role ${role} or above; ` +
        `pass --user or add one with \`pnpm gatehouse user add --org ${orgSlug} --email … --role ${role}\``,
    );
  }
  return member;
}

/** Issues a token; the workspace defaults to the organization's first (oldest) one. */
export async function issueToken(
  db: Db,
  input: {
    org: Organization;
    role: Role;
    userEmail?: string;
    workspaceSlug?: string;
    name: string;
    expiresAt?: number;
  },
): Promise<IssuedTokenJson> {
  const { org } = input;
  const tenant = { organizationId: org.id };
  const workspace = input.workspaceSlug
    ? await requireWorkspace(db, org, input.workspaceSlug)
    : (await listWorkspaces(db, tenant))[0];
  if (!workspace) {
    throw new CliError(
      `organization "${org.slug}" has no workspace to bind the token to; ` +
        `create one with \`pnpm gatehouse workspace create --org ${org.slug} --slug main --name Main\``,
    );
  }
  const user = pickTokenUser(await listMembers(db, tenant), input.role, org.slug, input.userEmail);
  const issued = await createApiToken(
    db,
    { organizationId: org.id, workspaceId: workspace.id },
    { userId: user.id, role: input.role, name: input.name, expiresAt: input.expiresAt ?? null },
  );
  return {
    token: issued.token,
    id: issued.id,
    name: input.name,
    role: issued.role,
    organization: org.slug,
    workspace: workspace.slug,
    user: user.email,
    expiresAt: isoTime(input.expiresAt),
  };
}

/** Validated input of `token create --org S --role R [--user EMAIL] [--workspace SLUG] [--name N] [--expires-days D]`. */
export function parseTokenCreate(values: OptionValues) {
  const email = optionalString(values, 'user');
  return {
    org: requireSlug(values, 'org'),
    role: requireRole(values),
    userEmail: email === undefined ? undefined : parseEmail(email, 'user'),
    workspaceSlug: values.workspace === undefined ? undefined : requireSlug(values, 'workspace'),
    expiresAt: optionalExpiry(values, 'expires-days'),
    name: optionalString(values, 'name') ?? DEFAULT_TOKEN_NAME,
  };
}

/** `token create`: prints the plaintext token once. */
export async function tokenCreate(db: Db, input: ReturnType<typeof parseTokenCreate>): Promise<CommandResult> {
  const { org: orgSlug, userEmail, workspaceSlug, expiresAt, ...rest } = input;
  const issued = await issueToken(db, {
    ...rest,
    org: await requireOrganization(db, orgSlug),
    ...(userEmail !== undefined ? { userEmail } : {}),
    ...(workspaceSlug !== undefined ? { workspaceSlug } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  });
  const text = [
    `Created ${issued.role} token "${issued.name}" (id ${issued.id}) for ${issued.user} in ${issued.organization}/${issued.workspace}` +
      (issued.expiresAt ? `, expires ${issued.expiresAt}` : ''),
    'Copy it now; it is not stored and cannot be shown again:',
    '',
    `  ${issued.token}`,
  ].join('\n');
  return { json: issued, text };
}

/** `token list --org S`: ids, names, display prefixes and status; never hashes. */
export async function tokenList(
  db: Db,
  input: ReturnType<typeof parseOrgOnly>,
  now = Date.now(),
): Promise<CommandResult> {
  const org = await requireOrganization(db, input.org);
  const tenant = { organizationId: org.id };
  const [tokens, members, workspaces] = await Promise.all([
    listApiTokens(db, tenant),
    listMembers(db, tenant),
    listWorkspaces(db, tenant),
  ]);
  const emails = new Map(members.map((m) => [m.id, m.email]));
  const slugs = new Map(workspaces.map((w) => [w.id, w.slug]));
  const rows = tokens.map((t) => ({
    id: t.id,
    name: t.name,
    prefix: t.displayPrefix,
    role: t.role,
    // A token whose user left the organization stays listed (it no longer authenticates; principals.ts joins memberships).
    user: emails.get(t.userId) ?? t.userId,
    workspace: slugs.get(t.workspaceId) ?? t.workspaceId,
    status: t.revokedAt !== null ? 'revoked' : t.expiresAt !== null && t.expiresAt <= now ? 'expired' : 'active',
    createdAt: isoTime(t.createdAt),
    expiresAt: isoTime(t.expiresAt),
    revokedAt: isoTime(t.revokedAt),
  }));
  return {
    json: rows,
    text: table(rows, ['id', 'name', 'prefix', 'role', 'user', 'workspace', 'status', 'createdAt']),
  };
}

/** Validated input of `token revoke --org S --id ID`. */
export function parseTokenRevoke(values: OptionValues) {
  return { org: requireSlug(values, 'org'), id: requireString(values, 'id') };
}

/** `token revoke`: fails (exit 1) when no live token of that organization has the id. */
export async function tokenRevoke(db: Db, input: ReturnType<typeof parseTokenRevoke>): Promise<CommandResult> {
  const org = await requireOrganization(db, input.org);
  const { id } = input;
  if (!(await revokeApiToken(db, { organizationId: org.id }, id))) {
    throw new CliError(
      `no active token with id "${id}" in "${org.slug}" (unknown or already revoked); see \`pnpm gatehouse token list --org ${org.slug}\``,
    );
  }
  return { json: { id, organization: org.slug, revoked: true }, text: `Revoked token ${id} in ${org.slug}` };
}
