/**
 * The catalog shipped with Gatehouse. Each template is written from the vendor's public API reference; each tool
 * cites its doc page. Organizations add their own templates in D1 (integration_templates).
 */
import { integrationTemplateSchema, type IntegrationTemplate } from './template-schema.js';
import { azureDevOpsTemplate } from './templates/azure-devops.js';
import { jiraCloudTemplate } from './templates/jira-cloud.js';
import { zendeskTemplate } from './templates/zendesk.js';

/** Parsed once per isolate (immutable): a broken shipped template fails at load, and in the catalog tests. */
export const BUILTIN_TEMPLATES: readonly IntegrationTemplate[] = [
  azureDevOpsTemplate,
  jiraCloudTemplate,
  zendeskTemplate,
].map((t) => Object.freeze(integrationTemplateSchema.parse(t)));

/** A shipped template by slug. */
export function findBuiltinTemplate(slug: string): IntegrationTemplate | undefined {
  return BUILTIN_TEMPLATES.find((t) => t.slug === slug);
}
