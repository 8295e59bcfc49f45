/**
 * Small changes to a template (the integration-builder docs' "add a tool to the Zendesk integration"): add, replace
 * or remove one tool, or set one top-level field. A patch yields a whole candidate definition, which the builder
 * validates exactly like a definition sent whole (validateTemplate); nothing here checks the result.
 */
import { z } from 'zod';
import { templateToolSchema, type IntegrationTemplate } from './template-schema.js';

/** Top-level fields `set` may change (not `slug`: it identifies installations; not `tools`: use the tool ops). */
export const PATCHABLE_FIELDS = [
  'name',
  'description',
  'docsUrl',
  'baseUrl',
  'auth',
  'credentials',
  'settings',
  'validation',
] as const;

export const templatePatchSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('add_tool'), tool: templateToolSchema.describe('The new tool, as in a template') }),
  z.object({
    op: z.literal('replace_tool'),
    tool: templateToolSchema.describe('The tool with the same name, as it should now be'),
  }),
  z.object({ op: z.literal('remove_tool'), name: z.string().min(1).describe('Name of the tool to remove') }),
  z.object({
    op: z.literal('set'),
    field: z.enum(PATCHABLE_FIELDS),
    value: z.unknown().describe('The field’s new value (validated with the whole template)'),
  }),
]);
export type TemplatePatch = z.infer<typeof templatePatchSchema>;

/** The definition with `patch` applied, or the problem (a tool that exists or does not), naming the tool. */
export function applyTemplatePatch(
  template: IntegrationTemplate,
  patch: TemplatePatch,
): { ok: true; definition: Record<string, unknown> } | { ok: false; problem: string } {
  const names = template.tools.map((t) => t.name);
  switch (patch.op) {
    case 'add_tool':
      if (names.includes(patch.tool.name))
        return { ok: false, problem: `patch.tool.name: ${patch.tool.name} exists already; use replace_tool` };
      return { ok: true, definition: { ...template, tools: [...template.tools, patch.tool] } };
    case 'replace_tool':
      if (!names.includes(patch.tool.name))
        return { ok: false, problem: `patch.tool.name: no tool ${patch.tool.name} (tools: ${names.join(', ')})` };
      return {
        ok: true,
        definition: { ...template, tools: template.tools.map((t) => (t.name === patch.tool.name ? patch.tool : t)) },
      };
    case 'remove_tool':
      if (!names.includes(patch.name))
        return { ok: false, problem: `patch.name: no tool ${patch.name} (tools: ${names.join(', ')})` };
      return { ok: true, definition: { ...template, tools: template.tools.filter((t) => t.name !== patch.name) } };
    case 'set':
      return { ok: true, definition: { ...template, [patch.field]: patch.value } };
  }
}
