/**
 * Turning the slugs people type into tenants, with errors that say which command lists or creates the missing thing.
 */
import { CliError } from './cli-error.mts';
import { findOrganization, findWorkspace, type Db, type Organization, type Workspace } from './workspace-packages.mts';

/** The organization with this slug (or id); a CliError pointing at `org list` / `org create` when there is none. */
export async function requireOrganization(db: Db, slug: string): Promise<Organization> {
  const org = await findOrganization(db, slug);
  if (!org) {
    throw new CliError(
      `organization "${slug}" not found; see \`pnpm gatehouse org list\` or create it with \`pnpm gatehouse org create --slug ${slug} --name "…"\``,
    );
  }
  return org;
}

/** The workspace with this slug (or id) inside the organization; a CliError pointing at `workspace list` otherwise. */
export async function requireWorkspace(db: Db, org: Organization, slug: string): Promise<Workspace> {
  const workspace = await findWorkspace(db, { organizationId: org.id }, slug);
  if (!workspace) {
    throw new CliError(
      `workspace "${slug}" not found in organization "${org.slug}"; see \`pnpm gatehouse workspace list --org ${org.slug}\``,
    );
  }
  return workspace;
}
