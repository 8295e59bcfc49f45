/**
 * A catalog template as an IntegrationProvider (packages/integrations-core provider.ts): the `custom` provider serves
 * declarative templates through the same contract as the code providers, so both are one mechanism. The registry
 * entry (`customProvider`) and each template's provider (`templateProvider`) are one definition. Install: the
 * template's credential fields (plus the Standard Webhooks secret the service signs with, pasted by the installer);
 * webhooks: Standard Webhooks with the
 * documented envelope (standard-webhooks.ts); tools: the template's tools under their generic names, executed by
 * `executeTemplateTool` (outbound policy, deadline, size cap, response mapping); publication: none to grant (template
 * tools act with the installation's own credentials).
 */
import { templateToolAnnotations } from './tool-annotations.js';
import { sessionDispatchFor, type IntegrationProvider, type ProviderTool } from '@gatehouse/integrations-core';
import { executeTemplateTool, type ExecuteOptions } from './execute-tool.js';
import { parseStandardWebhook } from './standard-webhooks.js';
import type { IntegrationTemplate } from './template-schema.js';

/** The registry id of the provider that serves templates. */
export const CUSTOM_PROVIDER_ID = 'custom';

/** Credential fields the gateway adds to a template installation that receives webhooks. */
export const WEBHOOK_SECRET_FIELDS = [
  {
    name: 'webhook_secret',
    description: 'Standard Webhooks signing secret (whsec_…) the service signs its webhooks with',
    secret: true,
    required: false,
  },
  {
    name: 'previous_webhook_secret',
    description: 'The former signing secret while the service moves to the new one',
    secret: true,
    required: false,
  },
] as const;

/**
 * A template tool call that failed; its message is written for the caller (never an upstream body). `kind` says why
 * (ToolOutcome's failure kinds, or `template` for the rest); `status` is the upstream's HTTP status when it answered.
 */
export class TemplateToolError extends Error {
  override name = 'TemplateToolError';
  constructor(
    message: string,
    readonly kind: string = 'template',
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The MCP descriptor of each template tool, with its generic name. */
export function templateTools(template: IntegrationTemplate): ProviderTool[] {
  return template.tools.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: t.inputSchema,
    annotations: templateToolAnnotations(t),
  }));
}

/** Template tools are per installation: the registry entry lists none and runs none (see templateProvider). */
export class TemplateToolsOnlyPerTemplateError extends TemplateToolError {
  override name = 'TemplateToolsOnlyPerTemplateError';
}

/**
 * The `custom` entry of the integrations worker's provider registry: what every template shares (its installations
 * are template installations, made with `install_integration`; Standard Webhooks with the documented envelope; no
 * publication scopes to grant: template tools act with the installation's own credentials). A template's own
 * fields, tools and executor are added by `templateProvider(template)`, which is this entry specialised.
 */
export const customProvider = {
  id: CUSTOM_PROVIDER_ID,
  displayName: 'Custom (catalog template)',
  install: {
    type: 'credentials',
    fields: WEBHOOK_SECRET_FIELDS,
    settings: [],
    installWith:
      'custom integrations are catalog templates: install one with the install_integration tool and "webhooks": true; its answer carries this provider’s webhook URL and the signing secret',
  },
  installationKind: 'template',
  parseWebhook: (req, installation) => parseStandardWebhook(req, installation, CUSTOM_PROVIDER_ID),
  dispatch: (event, { installation }) => sessionDispatchFor(event, installation),
  tools: [],
  executeTool: (name) =>
    Promise.reject(
      new TemplateToolsOnlyPerTemplateError(
        `${name} is a template tool: call it through the MCP endpoint, which runs the installed template`,
      ),
    ),
  publication: { scopes: [], sessionDefaults: [] },
} as const satisfies IntegrationProvider;

/**
 * The registry id of the provider an installation belongs to: `custom` for a catalog-template installation, else
 * the code provider it was made with. Dispatches and sessions name their installation's provider by this id.
 */
export function providerIdOf(installation: { kind: 'provider' | 'template'; source: string }): string {
  return installation.kind === 'template' ? CUSTOM_PROVIDER_ID : installation.source;
}

/**
 * The template as a provider: the `custom` registry entry with the template's install fields, tools and executor.
 * `options` are the outbound rules its tools run under (`fetch` in the executor's context is used, `allowLoopback`
 * and the token cache key come from here).
 */
export function templateProvider(
  template: IntegrationTemplate,
  options: Omit<ExecuteOptions, 'fetch'> & { tokenCacheKey?: string },
): IntegrationProvider {
  return {
    ...customProvider,
    displayName: template.name,
    install: {
      type: 'credentials',
      fields: [...template.credentials, ...WEBHOOK_SECRET_FIELDS],
      settings: template.settings.map((s) => ({
        name: s.name,
        description: s.description,
        secret: false,
        required: s.required,
      })),
    },
    tools: templateTools(template),
    async executeTool(name, input, ctx) {
      const tool = template.tools.find((t) => t.name === name);
      if (!tool) throw new TemplateToolError(`${template.name} has no tool ${name}`);
      const { webhook_secret: _w, previous_webhook_secret: _p, ...credentials } = ctx.installation.credentials;
      const outcome = await executeTemplateTool(
        template,
        tool,
        { args: input, settings: ctx.installation.settings, credentials },
        { ...options, fetch: ctx.fetch },
      );
      if (!outcome.ok) throw new TemplateToolError(outcome.message, outcome.kind, outcome.status);
      return outcome.result;
    },
  };
}
