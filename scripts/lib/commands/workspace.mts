/** `gatehouse workspace create|list`: workspaces (the docs' "products") live inside one organization. */
import { CliError } from '../cli-error.mts';
import { optionalString, requireSlug, requireString, type OptionValues, type parseOrgOnly } from '../cli-input.mts';
import { isoTime, table, type CommandResult } from '../output.mts';
import { requireOrganization } from '../tenant-lookup.mts';
import { createWorkspace, findWorkspace, listWorkspaces, type Db, type Workspace } from '../workspace-packages.mts';

/** JSON shape of a workspace in CLI output. */
export function workspaceJson(workspace: Workspace, organizationSlug: string) {
  return {
    id: workspace.id,
    organization: organizationSlug,
    slug: workspace.slug,
    name: workspace.name,
    vision: workspace.vision,
    okrs: workspace.okrs,
    createdAt: isoTime(workspace.createdAt),
  };
}

/** Validated input of `workspace create --org S --slug S --name N [--vision V] [--okr O …]`. */
export function parseWorkspaceCreate(values: OptionValues) {
  return {
    org: requireSlug(values, 'org'),
    slug: requireSlug(values, 'slug'),
    name: requireString(values, 'name'),
    vision: optionalString(values, 'vision') ?? null,
    okrs: (Array.isArray(values.okr) ? values.okr : []).map((o) => o.trim()).filter((o) => o !== ''),
  };
}

/** `workspace create`: fails (exit 1) when the organization is unknown or the slug is taken in it. */
export async function workspaceCreate(db: Db, input: ReturnType<typeof parseWorkspaceCreate>): Promise<CommandResult> {
  const org = await requireOrganization(db, input.org);
  const tenant = { organizationId: org.id };
  if (await findWorkspace(db, tenant, input.slug)) {
    throw new CliError(`workspace "${input.slug}" already exists in organization "${org.slug}"; pick another --slug`);
  }
  const { slug, name, vision, okrs } = input;
  const workspace = await createWorkspace(db, tenant, { slug, name, vision, okrs });
  return {
    json: workspaceJson(workspace, org.slug),
    text: `Created workspace ${org.slug}/${workspace.slug} ("${workspace.name}", id ${workspace.id})`,
  };
}

/** `workspace list --org S`: the organization's workspaces, oldest first. */
export async function workspaceList(db: Db, input: ReturnType<typeof parseOrgOnly>): Promise<CommandResult> {
  const org = await requireOrganization(db, input.org);
  const rows = (await listWorkspaces(db, { organizationId: org.id })).map((w) => workspaceJson(w, org.slug));
  const text = table(
    rows.map((w) => ({ ...w, okrs: w.okrs.length })),
    ['slug', 'name', 'okrs', 'id', 'createdAt'],
  );
  return { json: rows, text };
}
