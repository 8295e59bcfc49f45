/**
 * The integration builder, as the integration-builder docs describe: create_integration, update_integration (a whole
 * definition or a patch), list_integration_versions, rollback_integration and delete_integration (ADMIN and
 * SUPERADMIN: they change the organization's platform resources), search_integrations, and uninstall_integration. Templates are validated (validateTemplate: every problem names its field), versioned with a
 * change report, and every change tells connected clients that their tool list changed.
 */
import {
  createOrgTemplate,
  deleteInstallation,
  deleteOrgTemplate,
  findOrgTemplate,
  findTemplateVersionDefinitions,
  findVisibleInstallation,
  listTemplateInstallations,
  listTemplateVersions,
  moveTemplatePins,
  pinUnpinnedInstallations,
  TemplateVersionConflict,
  updateOrgTemplate,
} from '@gatehouse/integrations-adapters-cf';
import {
  applyTemplatePatch,
  credentialRoutingChanges,
  diffTemplates,
  findBuiltinTemplate,
  integrationTemplateSchema,
  searchTemplate,
  templateMatcher,
  templatePatchSchema,
  validateTemplate,
  type IntegrationTemplate,
} from '@gatehouse/catalog';
import { roleAtLeast } from '@gatehouse/integrations-core';
import { z } from 'zod';
// Used only at call time, so the import cycle with core-tools (which lists these tools) is harmless.
import { RESERVED_TOOL_NAMES } from './core-tools.js';
import { loadCatalog } from './catalog.js';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

function validated(input: unknown): IntegrationTemplate {
  const result = validateTemplate(input, RESERVED_TOOL_NAMES);
  if (!result.ok) throw new ToolError(`The template is invalid:\n- ${result.problems.join('\n- ')}`);
  return result.template;
}

async function orgTemplate(ctx: ToolContext, slug: string) {
  if (findBuiltinTemplate(slug))
    throw new ToolError(`"${slug}" is a shipped template and cannot be changed; create your own with another slug.`);
  const row = await findOrgTemplate(ctx.db, ctx.principal, slug);
  if (!row)
    throw new ToolError(`No template "${slug}" in your organization. Call list_integration_catalog for the slugs.`);
  return row;
}

export const createIntegration = defineCoreTool({
  name: 'create_integration',
  title: 'Create integration template',
  description:
    'Create an integration template: authentication, configuration fields, an optional validation request, and API tools with generic names (list_tickets, not zendesk_list_tickets). Install it afterwards with install_integration.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  input: z.object({ template: integrationTemplateSchema }),
  async run({ template: input }, ctx) {
    const template = validated(input);
    if (findBuiltinTemplate(template.slug) || (await findOrgTemplate(ctx.db, ctx.principal, template.slug)))
      throw new ToolError(
        `template.slug: "${template.slug}" is already in the catalog; choose another slug or use update_integration.`,
      );
    await createOrgTemplate(ctx.db, ctx.principal, {
      slug: template.slug,
      definition: template,
      createdBy: ctx.principal.userId,
    });
    ctx.notifyToolsChanged();
    return {
      created: { slug: template.slug, version: 1, tools: template.tools.map((t) => t.name) },
      next: 'install it with install_integration',
    };
  },
});

/** Stores `next` as the template's new version (compare-and-swap on the version read) and reports the change. */
async function storeVersion(
  ctx: ToolContext,
  row: NonNullable<Awaited<ReturnType<typeof findOrgTemplate>>>,
  next: IntegrationTemplate,
) {
  const prev = integrationTemplateSchema.parse(row.definition);
  const changes = diffTemplates(prev, next);
  let version: number;
  try {
    version = await updateOrgTemplate(ctx.db, ctx.principal, {
      templateId: row.id,
      expectedVersion: row.version,
      definition: next,
      changes: { ...changes },
      breaking: changes.breaking,
      createdBy: ctx.principal.userId,
    });
  } catch (err) {
    if (err instanceof TemplateVersionConflict)
      throw new ToolError(
        `${row.slug} was changed by someone else meanwhile; read it again with get_integration and retry.`,
      );
    throw err;
  }
  // Each installation moves to the new version at once unless, compared with the version it runs, the change
  // redirects its credentials (another origin, auth, validation request): then it stays pinned until an ADMIN
  // approves (approve_integration_update). An installation pinned at an older version is compared from there.
  const listed = await listTemplateInstallations(ctx.db, ctx.principal, row.slug);
  // A row without a pin (made by code older than pinning) ran the previous version: pin it there first, so the rule
  // below applies to it like to every other (moveTemplatePins only moves rows at a known version).
  const unpinned = listed.filter((i) => i.templateVersion === null).map((i) => i.id);
  if (unpinned.length) await pinUnpinnedInstallations(ctx.db, ctx.principal, unpinned, row.version);
  const installations = listed.map((i) => (i.templateVersion === null ? { ...i, templateVersion: row.version } : i));
  const pins = new Map<number, { id: string; handle: string }[]>();
  for (const i of installations) {
    const from = i.templateVersion ?? row.version;
    pins.set(from, [...(pins.get(from) ?? []), { id: i.id, handle: i.handle }]);
  }
  const defs = await definitionsAt(ctx, row.slug, [...pins.keys()], { [row.version]: prev, [version]: next });
  const moved: string[] = [];
  const pending: { integration: string; reasons: string[] }[] = [];
  for (const [from, list] of pins) {
    const reasons = defs.has(from) ? credentialRoutingChanges(defs.get(from)!, next) : ['its version is not recorded'];
    if (reasons.length) {
      for (const i of list) pending.push({ integration: i.handle, reasons });
      continue;
    }
    const count = await moveTemplatePins(ctx.db, ctx.principal, {
      installationIds: list.map((i) => i.id),
      fromVersion: from,
      toVersion: version,
    });
    // A concurrent move (another update, an approval) may have taken some: report only a complete move by name.
    if (count === list.length) moved.push(...list.map((i) => i.handle));
  }
  ctx.notifyToolsChanged();
  return {
    updated: { slug: row.slug, version, previous_version: row.version },
    changes,
    installations_affected: installations.map((i) => i.handle),
    installations_updated: moved,
    ...(pending.length
      ? {
          installations_awaiting_approval: pending,
          approval: `These installations keep running their version: the change alters where or how their credentials are sent. An ADMIN reviews and approves each with approve_integration_update.`,
        }
      : {}),
    ...(changes.breaking ? { warning: `Breaking change recorded: ${changes.breaking_reasons.join('; ')}` } : {}),
  };
}

/** The template's definitions at `versions` (from `known` when given, else the recorded versions). */
async function definitionsAt(
  ctx: ToolContext,
  slug: string,
  versions: number[],
  known: Record<number, IntegrationTemplate>,
): Promise<Map<number, IntegrationTemplate>> {
  const out = new Map<number, IntegrationTemplate>();
  const missing: { slug: string; version: number }[] = [];
  for (const v of versions) {
    if (known[v]) out.set(v, known[v]);
    else missing.push({ slug, version: v });
  }
  for (const r of await findTemplateVersionDefinitions(ctx.db, ctx.principal, missing)) {
    const parsed = integrationTemplateSchema.safeParse(r.definition);
    if (parsed.success) out.set(r.version, parsed.data);
  }
  return out;
}

export const approveIntegrationUpdate = defineCoreTool({
  name: 'approve_integration_update',
  title: 'Approve integration update',
  description:
    'An installation whose template changed where or how its credentials are sent keeps running its version until an ADMIN approves. Without `version`, shows what the current version changes for this installation (the reasons and the tool changes); with the `version` shown, approves it: the installation runs it from then on, and the approval is recorded.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  idempotent: true,
  input: z.object({
    integration: z.string().min(1).describe('Handle of the installation (list_installed_integrations)'),
    version: z.number().int().min(1).optional().describe('The version to approve, as shown by the first call'),
  }),
  async run({ integration, version }, ctx) {
    // An OAuth client granted mcp:admin could publish a redirect and approve it itself: approvals come from a
    // person's own API token (the admin CLI, a console), never from a client acting for them.
    if (version !== undefined && ctx.principal.tokenId.startsWith('oauth:'))
      throw new ToolError(
        'Approving a change to where credentials are sent needs your own API token, not an OAuth client: review it here, approve with an API token.',
      );
    const inst = await findVisibleInstallation(ctx.db, ctx.principal, integration);
    if (inst?.kind !== 'template' || inst.templateVersion === null)
      throw new ToolError(`No installation "${integration}" of an organization template in this workspace.`);
    const row = await orgTemplate(ctx, inst.source);
    if (inst.templateVersion === row.version)
      throw new ToolError(
        `"${inst.handle}" runs ${row.slug} version ${row.version}, the current one: nothing to approve.`,
      );
    const current = integrationTemplateSchema.parse(row.definition);
    const defs = await definitionsAt(ctx, row.slug, [inst.templateVersion], {});
    const from = defs.get(inst.templateVersion);
    const reasons = from ? credentialRoutingChanges(from, current) : ['its version is not recorded'];
    const review = {
      integration: inst.handle,
      template: row.slug,
      from_version: inst.templateVersion,
      to_version: row.version,
      reasons,
      changes: from ? diffTemplates(from, current) : null,
    };
    if (version === undefined) return { review, next: `call again with version ${row.version} to approve` };
    if (version !== row.version)
      throw new ToolError(
        `${row.slug} is at version ${row.version} now, not ${version}; review it again (call without version).`,
      );
    const moved = await moveTemplatePins(ctx.db, ctx.principal, {
      installationIds: [inst.id],
      fromVersion: inst.templateVersion,
      toVersion: row.version,
      approval: { reasons, approvedBy: ctx.principal.userId },
    });
    if (moved !== 1) throw new ToolError(`"${inst.handle}" changed meanwhile; review it again.`);
    ctx.notifyToolsChanged();
    return { approved: review };
  },
});

export const updateIntegration = defineCoreTool({
  name: 'update_integration',
  title: 'Update integration template',
  description:
    'Change a template of your organization: send the whole definition as `template`, or one `patch` (add_tool, replace_tool, remove_tool, or set one field such as baseUrl or settings); either is validated as a whole template. Reports what changed; a breaking change (tool removed, required argument added, new required credential) is reported and recorded. Installations move to the new version at once, except where it changes where or how their credentials are sent (base URL, auth, validation request): those keep their version until an ADMIN approves (approve_integration_update). See get_integration for the current definition and list_integration_versions for the history.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  destructive: true,
  input: z
    .object({
      slug: z.string().min(1).describe('The slug of the template to update'),
      template: integrationTemplateSchema.optional().describe('The whole new definition'),
      patch: templatePatchSchema.optional().describe('One change to the current definition'),
    })
    .refine((a) => (a.template === undefined) !== (a.patch === undefined), {
      message: 'send either template (the whole definition) or patch (one change), not both',
    }),
  async run({ slug, template: input, patch }, ctx) {
    const row = await orgTemplate(ctx, slug);
    let candidate: unknown = input;
    if (patch) {
      const applied = applyTemplatePatch(integrationTemplateSchema.parse(row.definition), patch);
      if (!applied.ok) throw new ToolError(`Cannot apply the patch to ${slug}: ${applied.problem}.`);
      candidate = applied.definition;
    }
    const next = validated(candidate);
    if (next.slug !== slug)
      throw new ToolError(
        `template.slug: must stay "${slug}" (slugs identify installations); create a new template to rename.`,
      );
    return storeVersion(ctx, row, next);
  },
});

export const listIntegrationVersions = defineCoreTool({
  name: 'list_integration_versions',
  title: 'List integration template versions',
  description:
    'The versions of a template of your organization, oldest first: who made each and when, and what changed from the one before (tools added, removed or changed, breaking reasons). rollback_integration restores one.',
  scope: 'mcp:read',
  minRole: 'ADMIN',
  readOnly: true,
  input: z.object({ slug: z.string().min(1).describe('The slug of the template') }),
  async run({ slug }, ctx) {
    const row = await orgTemplate(ctx, slug);
    const versions = await listTemplateVersions(ctx.db, ctx.principal, row.id);
    return {
      slug,
      current_version: row.version,
      versions: versions.map((v) => ({
        version: v.version,
        created_at: new Date(v.createdAt).toISOString(),
        created_by: v.createdBy,
        breaking: v.breaking,
        changes: v.changes,
      })),
    };
  },
});

export const rollbackIntegration = defineCoreTool({
  name: 'rollback_integration',
  title: 'Roll back integration template',
  description:
    'Make an earlier version of a template of your organization current again (stored as a new version, so the history keeps every step). The change from the current version is reported like update_integration’s.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  destructive: true,
  input: z.object({
    slug: z.string().min(1).describe('The slug of the template'),
    version: z.number().int().min(1).describe('The version to restore, from list_integration_versions'),
  }),
  async run({ slug, version }, ctx) {
    const row = await orgTemplate(ctx, slug);
    if (version === row.version) throw new ToolError(`${slug} is at version ${version} already.`);
    const target = (await listTemplateVersions(ctx.db, ctx.principal, row.id)).find((v) => v.version === version);
    if (!target)
      throw new ToolError(`${slug} has no version ${version}; call list_integration_versions for the versions.`);
    return { restored_version: version, ...(await storeVersion(ctx, row, validated(target.definition))) };
  },
});

export const searchIntegrations = defineCoreTool({
  name: 'search_integrations',
  title: 'Search integration templates',
  description:
    'Find a text (case-insensitive) or a regular expression (RE2 syntax) in every field of the templates in your catalog, or of one: names, descriptions, paths, mappings, headers, input schemas. Answers the template, the JSON path of each match and an excerpt. ADMIN and up, as the full definitions in get_integration.',
  scope: 'mcp:read',
  // Every field, literal header values included: the builder's view, like get_integration's `definition`.
  minRole: 'ADMIN',
  readOnly: true,
  input: z.object({
    pattern: z.string().min(1).max(500).describe('The text or regular expression to find'),
    regex: z.boolean().default(false).describe('Treat pattern as a regular expression (RE2 syntax: no lookaround)'),
    template: z.string().min(1).optional().describe('Only this template (slug); default all'),
  }),
  async run({ pattern, regex, template }, ctx) {
    const matcher = templateMatcher(pattern, regex);
    if (!matcher.ok) throw new ToolError(matcher.problem);
    const entries = (await loadCatalog(ctx.db, ctx.principal)).filter(
      (e) => template === undefined || e.template.slug === template,
    );
    if (template !== undefined && entries.length === 0)
      throw new ToolError(`No template "${template}". Call list_integration_catalog for the available slugs.`);
    const results = entries
      .map((e) => ({ template: e.template.slug, matches: searchTemplate(e.template, matcher.test) }))
      .filter((r) => r.matches.length > 0);
    return { pattern, regex, results };
  },
});

export const deleteIntegration = defineCoreTool({
  name: 'delete_integration',
  title: 'Delete integration template',
  description:
    'Remove a template of your organization from the catalog. Refused while it is installed: uninstall those first.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  destructive: true,
  idempotent: true,
  input: z.object({ slug: z.string().min(1) }),
  async run({ slug }, ctx) {
    const row = await orgTemplate(ctx, slug);
    const stillInstalled = async () => {
      const installed = await listTemplateInstallations(ctx.db, ctx.principal, slug);
      return installed.length
        ? new ToolError(
            `${slug} is installed as ${installed.map((i) => `"${i.handle}"`).join(', ')}; uninstall those with uninstall_integration first.`,
          )
        : null;
    };
    const refusal = await stillInstalled();
    if (refusal) throw refusal;
    try {
      await deleteOrgTemplate(ctx.db, ctx.principal, row.id);
    } catch (err) {
      // An install landed after the check (the delete trigger refused): say so, as the check would have.
      throw (await stillInstalled()) ?? err;
    }
    ctx.notifyToolsChanged();
    return { deleted: slug };
  },
});

export const uninstallIntegration = defineCoreTool({
  name: 'uninstall_integration',
  title: 'Uninstall integration',
  description:
    'Remove an installation (by handle, from list_installed_integrations): its tools disappear at once and its credentials are deleted.',
  scope: 'mcp:write',
  minRole: 'MEMBER',
  readOnly: false,
  destructive: true,
  idempotent: true,
  input: z.object({ integration: z.string().min(1).describe('Handle of the installation') }),
  async run({ integration }, ctx) {
    const row = await findVisibleInstallation(ctx.db, ctx.principal, integration);
    if (!row)
      throw new ToolError(
        `No installation "${integration}" in this workspace. Call list_installed_integrations for the handles.`,
      );
    if (row.createdBy !== ctx.principal.userId && !roleAtLeast(ctx.principal.role, 'ADMIN'))
      throw new ToolError(`Only the person who installed "${row.handle}" or an ADMIN may uninstall it.`);
    await deleteInstallation(ctx.db, ctx.principal, row.id);
    ctx.notifyToolsChanged();
    return { uninstalled: { handle: row.handle, title: row.title } };
  },
});
