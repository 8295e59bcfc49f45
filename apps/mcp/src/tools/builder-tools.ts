/**
 * The integration builder, as the integration-builder docs describe: create_integration, update_integration and
 * delete_integration (ADMIN and SUPERADMIN: they change the organization's platform resources), and
 * uninstall_integration. Templates are validated (validateTemplate: every problem names its field), versioned with a
 * change report, and every change tells connected clients that their tool list changed.
 */
import {
  createOrgTemplate,
  deleteInstallation,
  deleteOrgTemplate,
  findOrgTemplate,
  findVisibleInstallation,
  listTemplateInstallations,
  TemplateVersionConflict,
  updateOrgTemplate,
} from '@gatehouse/integrations-adapters-cf';
import {
  diffTemplates,
  findBuiltinTemplate,
  integrationTemplateSchema,
  validateTemplate,
  type IntegrationTemplate,
} from '@gatehouse/catalog';
import { roleAtLeast } from '@gatehouse/integrations-core';
import { z } from 'zod';
// Used only at call time, so the import cycle with core-tools (which lists these tools) is harmless.
import { CORE_TOOL_NAMES } from './core-tools.js';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

function validated(input: unknown): IntegrationTemplate {
  const result = validateTemplate(input, CORE_TOOL_NAMES);
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

export const updateIntegration = defineCoreTool({
  name: 'update_integration',
  title: 'Update integration template',
  description:
    'Replace a template of your organization with a new definition (send the whole template). Reports what changed; a breaking change (tool removed, required argument added, new required credential) is reported and recorded. Installations keep working with the new version.',
  scope: 'mcp:admin',
  minRole: 'ADMIN',
  readOnly: false,
  input: z.object({
    slug: z.string().min(1).describe('The slug of the template to update'),
    template: integrationTemplateSchema,
  }),
  async run({ slug, template: input }, ctx) {
    const row = await orgTemplate(ctx, slug);
    const next = validated(input);
    if (next.slug !== slug)
      throw new ToolError(
        `template.slug: must stay "${slug}" (slugs identify installations); create a new template to rename.`,
      );
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
          `${slug} was changed by someone else meanwhile; read it again with get_integration and retry.`,
        );
      throw err;
    }
    ctx.notifyToolsChanged();
    const installations = await listTemplateInstallations(ctx.db, ctx.principal, slug);
    return {
      updated: { slug, version, previous_version: row.version },
      changes,
      installations_affected: installations.map((i) => i.handle),
      ...(changes.breaking ? { warning: `Breaking change recorded: ${changes.breaking_reasons.join('; ')}` } : {}),
    };
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
  input: z.object({ slug: z.string().min(1) }),
  async run({ slug }, ctx) {
    const row = await orgTemplate(ctx, slug);
    const installed = await listTemplateInstallations(ctx.db, ctx.principal, slug);
    if (installed.length)
      throw new ToolError(
        `${slug} is installed as ${installed.map((i) => `"${i.handle}"`).join(', ')}; uninstall those with uninstall_integration first.`,
      );
    await deleteOrgTemplate(ctx.db, ctx.principal, row.id);
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
