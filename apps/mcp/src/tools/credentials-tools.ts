/**
 * update_integration_credentials: new credentials for a template installation, checked with the service (the
 * template's validation request, as at install) before they replace the old ones; clears `needs_reauth`
 * (connection-health.ts). The person who installed it or an ADMIN may, with their own API token. OAuth-authorized templates are re-authorized
 * by installing them again (their tokens come from the vendor's consent, not from a paste).
 */
import {
  findTemplateVersionDefinitions,
  findVisibleInstallation,
  replaceInstallationCredentials,
} from '@gatehouse/integrations-adapters-cf';
import { integrationTemplateSchema, validateCredentials } from '@gatehouse/catalog';
import { roleAtLeast } from '@gatehouse/integrations-core';
import { z } from 'zod';
import { loadCatalog } from './catalog.js';
import { fieldProblems } from './catalog-tools.js';
import { ToolError, defineCoreTool } from './tool-types.js';

export const updateIntegrationCredentials = defineCoreTool({
  name: 'update_integration_credentials',
  title: 'Update integration credentials',
  description:
    'Replace the credentials of an installed catalog template (e.g. after a token was revoked: list_installed_integrations shows status needs_reauth). They are checked with the service first and never shown again.',
  scope: 'mcp:write',
  minRole: 'MEMBER',
  readOnly: false,
  destructive: true,
  idempotent: true,
  openWorld: true,
  input: z.object({
    integration: z.string().min(1).describe('Handle of the installation, from list_installed_integrations'),
    credentials: z.record(z.string(), z.string()).describe('Credential fields from get_integration'),
  }),
  async run({ integration, credentials }, ctx) {
    const row = await findVisibleInstallation(ctx.db, ctx.principal, integration);
    if (row?.kind !== 'template')
      throw new ToolError(
        `No catalog installation "${integration}" in this workspace. Call list_installed_integrations for the handles.`,
      );
    // Credentials decide whose account every later call acts in: a person's API token may swap them, not an OAuth
    // client or an agent acting for one (as approve_integration_update).
    if (ctx.principal.tokenId.startsWith('oauth:') || ctx.principal.tokenId.startsWith('agent:'))
      throw new ToolError(
        "Replacing an installation's credentials needs your own API token, not an OAuth client or an agent.",
        { reason: 'api_token_required', refused: true },
      );
    if (row.createdBy !== ctx.principal.userId && !roleAtLeast(ctx.principal.role, 'ADMIN'))
      throw new ToolError(`Only the person who installed "${row.handle}" or an ADMIN may change its credentials.`, {
        reason: 'insufficient_role',
        refused: true,
      });
    const entry = (await loadCatalog(ctx.db, ctx.principal)).find((e) => e.template.slug === row.source);
    if (!entry) throw new ToolError(`The template "${row.source}" of "${row.handle}" no longer exists.`);
    // The definition this installation runs (toolset-cache.ts): a newer version that moves the credentials waits for
    // approval, so the new credentials are checked against, and go to, the pinned one.
    let t = entry.template;
    if (entry.origin === 'organization' && row.templateVersion !== null && row.templateVersion !== entry.version) {
      const [pinned] = await findTemplateVersionDefinitions(ctx.db, ctx.principal, [
        { slug: row.source, version: row.templateVersion },
      ]);
      const parsed = pinned ? integrationTemplateSchema.safeParse(pinned.definition) : null;
      if (!parsed?.success)
        throw new ToolError(
          `The version ${row.templateVersion} "${row.handle}" runs is not recorded; install it again.`,
        );
      t = parsed.data;
    }
    if (t.auth.type === 'oauth2_authorization_code')
      throw new ToolError(`${t.name} is authorized through the vendor: install it again to re-authorize.`);
    const problems = fieldProblems('credential', t.credentials, credentials);
    if (problems.length) throw new ToolError(`Cannot update ${t.name}: ${problems.join('; ')}.`);
    const check = await validateCredentials(
      t,
      { settings: row.settings, credentials },
      { fetch: ctx.fetch, allowLoopback: ctx.config.allowLoopbackUpstreams },
    );
    if (!check.ok) throw new ToolError(`Cannot update ${t.name}: ${check.message}`);
    // The webhook signing secrets it was given at install stay (they are not template credentials).
    const previous = await ctx.config.cipher.decrypt(row.credentials);
    const kept = Object.fromEntries(
      Object.entries(previous).filter(([k]) => k === 'webhook_secret' || k === 'previous_webhook_secret'),
    );
    await replaceInstallationCredentials(
      ctx.db,
      ctx.principal,
      row,
      await ctx.config.cipher.encrypt({ ...credentials, ...kept }),
    );
    if (row.health?.needsReauth) ctx.notifyToolsChanged();
    return { integration: row.handle, status: 'active', checked_with_service: check.checked };
  },
});
