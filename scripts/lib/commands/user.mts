/** `gatehouse user add|list`: users are global by email; a membership gives them one role per organization. */
import {
  optionalString,
  parseEmail,
  requireRole,
  requireSlug,
  requireString,
  type OptionValues,
  type parseOrgOnly,
} from '../cli-input.mts';
import { isoTime, table, type CommandResult } from '../output.mts';
import { requireOrganization } from '../tenant-lookup.mts';
import { CliError, usageError } from '../cli-error.mts';
import {
  MIN_PASSWORD_LENGTH,
  findUserByEmail,
  hashPassword,
  listMembers,
  setUserPasswordHash,
  upsertMember,
  type Db,
} from '../workspace-packages.mts';

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
    json: {
      id: member.id,
      organization: org.slug,
      email: member.email,
      name: member.displayName,
      role,
      change,
      previousRole: before?.role ?? null,
    },
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

/**
 * Validated input of `user set-password --email E [--password P | --password-stdin]`. Reading the password from
 * standard input keeps it out of shell history and process listings; `--password` is for scripts and tests.
 */
export function parseUserSetPassword(values: OptionValues) {
  const fromStdin = values['password-stdin'] === true;
  const inline = optionalString(values, 'password');
  if (!fromStdin && !inline) throw usageError('give --password P or --password-stdin');
  return { email: parseEmail(requireString(values, 'email')), password: inline, fromStdin };
}

async function readStdin(): Promise<string> {
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, '');
}

/** `user set-password`: sets the password used to sign in on the OAuth consent page (stored as a PBKDF2 hash). */
export async function userSetPassword(db: Db, input: ReturnType<typeof parseUserSetPassword>): Promise<CommandResult> {
  const password = input.fromStdin ? await readStdin() : input.password!;
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new CliError(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  const user = await findUserByEmail(db, input.email);
  if (!user) throw new CliError(`no user ${input.email}; add one first with \`pnpm gatehouse user add\``);
  await setUserPasswordHash(db, user.id, await hashPassword(password));
  return { json: { id: user.id, email: user.email, passwordSet: true }, text: `Password set for ${user.email}` };
}
