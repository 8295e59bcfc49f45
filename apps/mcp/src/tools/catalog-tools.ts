/**
 * Integration catalog tools, as the integration-builder docs list them: list_integration_catalog, get_integration,
 * list_installed_integrations, install_integration. None returns a credential value.
 */
import {
  createInstallation,
  findWorkspace,
  listVisibleInstallations,
  TemplateDeletedError,
} from '@gatehouse/integrations-adapters-cf';
import {
  CUSTOM_PROVIDER_ID,
  isWebhookSecret,
  linearFullMatch,
  linearPatternProblem,
  upstreamHostProblem,
  validateCredentials,
  type IntegrationTemplate,
} from '@gatehouse/catalog';
import { z } from 'zod';
import { installRefusal, roleAtLeast } from '@gatehouse/integrations-core';
import { startTemplateAuthorization } from '../oauth/template-authorization.js';
import { loadCatalog } from './catalog.js';
import { installationStatus, shownHealth } from './connection-health.js';
import { shownRateLimit } from './rate-limit.js';
import { ToolError, defineCoreTool, type ToolContext } from './tool-types.js';

function summary(t: IntegrationTemplate, origin: string) {
  return { slug: t.slug, name: t.name, description: t.description, origin, tools: t.tools.map((x) => x.name) };
}

export const listIntegrationCatalog = defineCoreTool({
  name: 'list_integration_catalog',
  title: 'List integration catalog',
  description: 'List the integration templates that can be installed (shipped and your organization’s own).',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  listing: 'always',
  input: z.object({}),
  async run(_args, ctx) {
    const catalog = await loadCatalog(ctx.db, ctx.principal);
    return { templates: catalog.map((e) => summary(e.template, e.origin)) };
  },
});

export const getIntegration = defineCoreTool({
  name: 'get_integration',
  title: 'Get integration template',
  description:
    'Show one template: the credential fields and settings install_integration needs, and its tools. For ADMIN and up also `definition`, the complete template (requests, paths, query, headers, body, response mappings, validation request; templates hold no secrets) and its `version`: what update_integration takes back, whole or as a patch.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  input: z.object({
    template: z.string().min(1).describe('Template slug from list_integration_catalog, e.g. jira-cloud'),
  }),
  async run({ template }, ctx) {
    const entry = (await loadCatalog(ctx.db, ctx.principal)).find((e) => e.template.slug === template);
    if (!entry)
      throw new ToolError(`No template "${template}". Call list_integration_catalog for the available slugs.`);
    const t = entry.template;
    return {
      ...summary(t, entry.origin),
      docs_url: t.docsUrl,
      auth_type: t.auth.type,
      credentials: t.credentials.map((c) => ({
        name: c.name,
        description: c.description,
        secret: c.secret,
        required: c.required,
      })),
      settings: t.settings,
      // Where the credentials go (a URI Template over the settings), so an installer sees it before trusting it.
      base_url: t.baseUrl,
      // Where the settings may point (vendor host patterns), so an installer knows before trying.
      ...(t.upstreamHosts && !t.selfHosted ? { upstream_hosts: t.upstreamHosts } : {}),
      tools: t.tools.map((x) => ({
        name: x.name,
        title: x.title,
        description: x.description,
        docs_url: x.docsUrl,
        read_only: x.readOnly,
        input_schema: x.inputSchema,
      })),
      // The builder's view: what to change and from which version (members see what to install and call).
      ...(roleAtLeast(ctx.principal.role, 'ADMIN') ? { definition: t, version: entry.version } : {}),
    };
  },
});

export const listInstalledIntegrations = defineCoreTool({
  name: 'list_installed_integrations',
  title: 'List installed integrations',
  description: 'List the integrations installed for this workspace: Local ones and the organization’s Global ones.',
  scope: 'mcp:read',
  minRole: 'MEMBER',
  readOnly: true,
  listing: 'always',
  input: z.object({}),
  async run(_args, ctx) {
    const [rows, catalog] = await Promise.all([
      listVisibleInstallations(ctx.db, ctx.principal),
      loadCatalog(ctx.db, ctx.principal),
    ]);
    const current = new Map(
      catalog.filter((e) => e.origin === 'organization').map((e) => [e.template.slug, e.version]),
    );
    return {
      installations: rows.map((r) => {
        const latest = r.kind === 'template' ? current.get(r.source) : undefined;
        return {
          handle: r.handle,
          title: r.title,
          kind: r.kind,
          source: r.source,
          scope: r.scope === 'local' ? 'Local' : 'Global',
          status: installationStatus(r),
          ...(r.health ? { health: shownHealth(r.health) } : {}),
          settings: r.settings,
          ...(r.rateLimit ? { rate_limit: shownRateLimit(r.rateLimit) } : {}),
          created_at: new Date(r.createdAt).toISOString(),
          ...(latest !== undefined && r.templateVersion !== null ? { template_version: r.templateVersion } : {}),
          // A newer version that changes where its credentials go waits for an ADMIN (approve_integration_update).
          ...(latest !== undefined && r.templateVersion !== null && r.templateVersion < latest
            ? { pending_update: { version: latest, approve_with: 'approve_integration_update' } }
            : {}),
        };
      }),
    };
  },
});

/** Checks supplied fields against the template; returns problems naming the field. */
export function fieldProblems(
  kind: 'credential' | 'setting',
  fields: readonly { name: string; required: boolean; pattern?: string | undefined }[],
  supplied: Record<string, unknown>,
): string[] {
  const problems: string[] = [];
  const known = new Set(fields.map((f) => f.name));
  for (const name of Object.keys(supplied))
    if (!known.has(name)) problems.push(`unknown ${kind} "${name}" (expected: ${[...known].join(', ') || 'none'})`);
  for (const f of fields) {
    const v = supplied[f.name];
    if (v === undefined || v === '') {
      if (f.required) problems.push(`missing ${kind} "${f.name}"`);
      continue;
    }
    if (typeof v !== 'string') problems.push(`${kind} "${f.name}" must be a string`);
    // RE2 (linear time): the pattern is the template author's, the value the installer's.
    else if (f.pattern && linearPatternProblem(f.pattern) !== null)
      problems.push(`${kind} "${f.name}": the template's pattern is not RE2 syntax; an ADMIN must update the template`);
    else if (f.pattern && !linearFullMatch(f.pattern, v)) problems.push(`${kind} "${f.name}" must match ${f.pattern}`);
  }
  return problems;
}

/**
 * Where the service sends its events (the integrations worker's `custom` provider) and how it signs them. The URL is
 * absolute when INTEGRATIONS_PUBLIC_URL is set, else the path on the integrations worker.
 */
function webhookAnswer(ctx: ToolContext, installationId: string) {
  const path = `/webhook/${CUSTOM_PROVIDER_ID}/${installationId}`;
  return {
    url: ctx.config.integrationsPublicUrl ? `${ctx.config.integrationsPublicUrl.replace(/\/+$/, '')}${path}` : null,
    path,
    signing:
      'Standard Webhooks v1 (https://www.standardwebhooks.com/) with the webhook_secret given: webhook-id, webhook-timestamp, webhook-signature',
    envelope:
      '{"type": "<event>", "thread": {"key": "<id>", "title": "<title>"}, "actor": "<who>", "summary": "<text>", "data": {…}}; events with a thread start or continue an agent session',
  };
}

/** Maps an install of a template deleted meanwhile (adapters' TemplateDeletedError) to a tool error; rethrows the rest. */
const deletedMeanwhile =
  (name: string) =>
  (err: unknown): never => {
    if (err instanceof TemplateDeletedError) throw new ToolError(`Cannot install ${name}: it was deleted meanwhile.`);
    throw err;
  };

export const installIntegration = defineCoreTool({
  name: 'install_integration',
  title: 'Install integration',
  description:
    'Install a catalog template with credentials and settings. The credentials are checked against the service first when the template can. Scope Local (default) makes its tools visible in this workspace only; Global in the whole organization. Credentials are encrypted and never shown again.',
  scope: 'mcp:write',
  minRole: 'MEMBER',
  readOnly: false,
  openWorld: true,
  input: z.object({
    template: z.string().min(1).describe('Template slug, e.g. jira-cloud'),
    credentials: z.record(z.string(), z.string()).describe('Credential fields from get_integration'),
    settings: z.record(z.string(), z.string()).default({}).describe('Settings from get_integration'),
    title: z.string().min(1).max(80).optional().describe('Name of this installation, e.g. "Jira — Backend"'),
    scope: z.enum(['Local', 'Global']).default('Local'),
    workspace: z
      .string()
      .min(1)
      .optional()
      .describe(
        'For scope Local: the workspace (product) slug or id to install into; default the workspace of your token',
      ),
    webhooks: z
      .boolean()
      .default(false)
      .describe(
        'Also receive the service’s events as agent sessions (Standard Webhooks): put the service’s signing secret (whsec_…) in credentials.webhook_secret; the answer carries the webhook URL',
      ),
  }),
  async run(args, ctx) {
    const entry = (await loadCatalog(ctx.db, ctx.principal)).find((e) => e.template.slug === args.template);
    if (!entry)
      throw new ToolError(`No template "${args.template}". Call list_integration_catalog for the available slugs.`);
    const t = entry.template;
    // An organization template's installation runs the version it was installed at (see update_integration).
    const templateVersion = entry.origin === 'organization' ? entry.version : null;
    const templateId = entry.id ?? undefined;
    let workspaceId = ctx.principal.workspaceId;
    let workspaceSlug = ctx.principal.workspaceSlug;
    if (args.workspace !== undefined) {
      if (args.scope !== 'Local') throw new ToolError('workspace applies to scope Local only; omit it for Global.');
      const ws = await findWorkspace(ctx.db, ctx.principal, args.workspace);
      if (!ws) throw new ToolError(`No workspace "${args.workspace}" in your organization.`);
      workspaceId = ws.id;
      workspaceSlug = ws.slug;
    }
    const refusal = installRefusal(
      ctx.principal.role,
      { scope: args.scope === 'Local' ? 'local' : 'global', workspaceId },
      ctx.principal.workspaceId,
    );
    if (refusal) throw new ToolError(`Cannot install ${t.name}: ${refusal}.`);
    // The webhook signing secret travels with the credentials (encrypted, never shown again) and only with webhooks on.
    const { webhook_secret: webhookSecret, ...templateCredentials } = args.credentials;
    const problems = [
      ...fieldProblems('credential', t.credentials, templateCredentials),
      ...fieldProblems('setting', t.settings, args.settings),
    ];
    // Vendor host patterns (upstream-hosts.ts): a Jira site outside *.atlassian.net would receive the token.
    const hostProblem = problems.length ? null : upstreamHostProblem(t, args.settings);
    if (hostProblem) problems.push(hostProblem);
    if (args.webhooks && !webhookSecret)
      problems.push(
        'webhooks needs credentials.webhook_secret, the Standard Webhooks signing secret the service signs with (whsec_ and base64)',
      );
    if (args.webhooks && webhookSecret && !isWebhookSecret(webhookSecret))
      problems.push(
        'credentials.webhook_secret is not a Standard Webhooks secret (whsec_ followed by base64 of 24 to 64 bytes)',
      );
    if (!args.webhooks && webhookSecret !== undefined)
      problems.push('credentials.webhook_secret applies only with "webhooks": true');
    if (problems.length)
      throw new ToolError(`Cannot install ${t.name}: ${problems.join('; ')}. See get_integration for the fields.`);
    const credentials = args.webhooks
      ? { ...templateCredentials, webhook_secret: webhookSecret! }
      : templateCredentials;
    if (t.auth.type === 'oauth2_authorization_code') {
      const { installationId, ...started } = await startTemplateAuthorization(
        ctx,
        { ...t, auth: t.auth },
        {
          title: args.title ?? t.name,
          scope: args.scope === 'Local' ? 'local' : 'global',
          workspaceId,
          settings: args.settings,
          credentials,
          templateVersion,
          templateId,
        },
      ).catch(deletedMeanwhile(t.name));
      return args.webhooks ? { ...started, webhook: webhookAnswer(ctx, installationId) } : started;
    }
    const check = await validateCredentials(
      t,
      { settings: args.settings, credentials: args.credentials },
      { fetch: ctx.fetch, allowLoopback: ctx.config.allowLoopbackUpstreams },
    );
    if (!check.ok) throw new ToolError(`Cannot install ${t.name}: ${check.message}`);
    const row = await createInstallation(ctx.db, ctx.principal, {
      kind: 'template',
      source: t.slug,
      title: args.title ?? t.name,
      scope: args.scope === 'Local' ? 'local' : 'global',
      workspaceId,
      settings: args.settings,
      credentials: await ctx.config.cipher.encrypt(credentials),
      createdBy: ctx.principal.userId,
      templateVersion,
      templateId,
    }).catch(deletedMeanwhile(t.name));
    ctx.notifyToolsChanged();
    return {
      installed: {
        handle: row.handle,
        title: row.title,
        template: t.slug,
        scope: args.scope,
        workspace: args.scope === 'Local' ? workspaceSlug : null,
      },
      tools: t.tools.map((x) => x.name),
      credentials_checked: check.checked,
      ...(args.webhooks ? { webhook: webhookAnswer(ctx, row.id) } : {}),
      note: 'The tools are available now; clients that cache tool lists may need to list tools again.',
    };
  },
});
