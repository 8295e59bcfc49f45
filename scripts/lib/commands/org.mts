/** `gatehouse org create|list`: organizations are the top-level tenants (docs: "organization → workspaces"). */
import { CliError } from '../cli-error.mts';
import { requireSlug, requireString, type OptionValues } from '../cli-input.mts';
import { isoTime, table, type CommandResult } from '../output.mts';
import {
  createOrganization,
  findOrganization,
  listOrganizations,
  type Db,
  type Organization,
} from '../workspace-packages.mts';

/** JSON shape of an organization in CLI output. */
export function organizationJson(org: Organization) {
  return { id: org.id, slug: org.slug, name: org.name, createdAt: isoTime(org.createdAt) };
}

/** Validated input of `org create --slug S --name N`. */
export function parseOrgCreate(values: OptionValues) {
  return { slug: requireSlug(values, 'slug'), name: requireString(values, 'name') };
}

/** `org create`: fails (exit 1) when the slug is taken. */
export async function orgCreate(db: Db, input: ReturnType<typeof parseOrgCreate>): Promise<CommandResult> {
  const existing = await findOrganization(db, input.slug);
  if (existing)
    throw new CliError(`organization "${input.slug}" already exists (id ${existing.id}); pick another --slug`);
  const org = await createOrganization(db, input);
  return { json: organizationJson(org), text: `Created organization ${org.slug} ("${org.name}", id ${org.id})` };
}

/** `org list`: every organization, oldest first. */
export async function orgList(db: Db): Promise<CommandResult> {
  const orgs = (await listOrganizations(db)).map(organizationJson);
  return { json: orgs, text: table(orgs, ['slug', 'name', 'id', 'createdAt']) };
}
