/** `gatehouse user add|list`: users are global by email; a membership gives them one role per organization. */
import { optionalString, parseEmail, requireRole, requireSlug, requireString, type OptionValues, type parseOrgOnly } from '../cli-input.mts';
import { isoTime, table, type CommandResult } from '../output.mts';
import { requireOrganization } from '../tenant-lookup.mts';
import { listMembers, upsertMember, type Db } from '../workspace-packages.mts';

/** Validated input of `user add --org S --email E --role R [--name N]`. */
export function parseUserAdd(values: OptionValues) {
  return {
    org: requireSlug(values, 'org'),
    email: parseEmail(requireString(values, 'email')),
    role: requireRole(values),
    displayName: optionalString(values, 'name'),
  };
}

/**
 * `user add`: adds the user (creating it when the email is new) or changes an existing member's role. `--name` only
 * applies to a new user.
 */
export async function userAdd(db: Db, input: ReturnType<typeof parseUserAdd>): Promise<CommandResult> {
  const org = await requireOrganization(db, input.org);
  const { email, role, displayName } = input;
  const tenant = { organizationId: org.id };
  const before = (await listMembers(db, tenant)).find((m) => m.email === email);
  const member = await upsertMember(db, tenant, { email, role, ...(displayName ? { displayName } : {}) });
  const change = !before ? 'added' : before.role === role ? 'unchanged' : 'updated';
  return {
    json: { id: member.id, organization: org.slug, email: member.email, name: member.displayName, role, change, previousRole: before?.role ?? null },
    text:
      change === 'added'
        ? `Added ${member.email} to ${org.slug} as ${role}`
        : change === 'updated'
          ? `Changed ${member.email} in ${org.slug} from ${before!.role} to ${role}`
          : `${member.email} is already ${role} in ${org.slug}`,
  };
}

/** `user list --org S`: members with their role, in the order they joined. */
export async function userList(db: Db, input: ReturnType<typeof parseOrgOnly>): Promise<CommandResult> {
  const org = await requireOrganization(db, input.org);
  const rows = (await listMembers(db, { organizationId: org.id })).map((m) => ({
    id: m.id,
    email: m.email,
    name: m.displayName,
    role: m.role,
    createdAt: isoTime(m.createdAt),
  }));
  return { json: rows, text: table(rows, ['email', 'role', 'name', 'id']) };
}
